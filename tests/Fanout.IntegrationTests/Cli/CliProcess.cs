using System.Diagnostics;
using Fanout.LocalDev;

namespace Fanout.IntegrationTests.Cli;

/// <summary>Runs the <c>fanout</c> command (<c>dotnet fanout.dll</c>) as its own process; killed by its PID on timeout.</summary>
public static class CliProcess
{
    /// <summary>What a run printed and returned.</summary>
    public sealed record Run(int ExitCode, string Output, string Error)
    {
        /// <summary>Standard output, line by line.</summary>
        public string[] Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        /// <inheritdoc />
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
    }

    /// <summary>Runs <c>fanout ARGS</c> and waits for it (at most 3 minutes).</summary>
    public static Task<Run> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    /// <summary>Runs <c>fanout ARGS</c> with <paramref name="input"/> on its standard input (none when null).</summary>
    public static async Task<Run> RunWithInputAsync(string? input, params string[] args)
    {
        var repoRoot = RepoRoot.Find(AppContext.BaseDirectory) ?? throw new InvalidOperationException("No repository root.");
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var dll = Path.Combine(repoRoot, "src", "Fanout.Cli", "bin", configuration, "net10.0", "fanout.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment.Remove("FANOUT_URL");
        info.Environment.Remove("FANOUT_KEY");
        using var process = Process.Start(info) ?? throw new InvalidOperationException("fanout did not start.");
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }

        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"fanout {string.Join(' ', args)} did not finish in 3 minutes:\n{await stdout}\n{await stderr}");
        }

        return new Run(process.ExitCode, await stdout, await stderr);
    }
}
