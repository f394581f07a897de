using System.Diagnostics;
using Fanout.LocalDev;
using Xunit;

namespace Fanout.IntegrationTests.LocalDev;

/// <summary>
/// The host as <c>dotnet publish</c> lays it out, in a temporary folder outside the checkout (published once per test
/// class from the build the tests already have, so it takes seconds); deleted on dispose.
/// </summary>
public sealed class PublishedHost : IAsyncLifetime
{
    /// <summary>Gets the folder the host was published to.</summary>
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "fanout-published-" + Guid.NewGuid().ToString("N"));

    /// <summary>Gets a scratch folder outside the checkout to run from.</summary>
    public string WorkingFolder { get; } = Path.Combine(Path.GetTempPath(), "fanout-cwd-" + Guid.NewGuid().ToString("N"));

    /// <summary>Gets the repository checkout the tests run from.</summary>
    public static string Repo => RepoRoot.Find(AppContext.BaseDirectory) ?? throw new InvalidOperationException("No repository root.");

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var project = Path.Combine(Repo, "src", "Fanout.Host", "Fanout.Host.csproj");
        var publish = await RunAsync("dotnet", ["publish", project, "-c", configuration, "--no-build", "-o", Folder, "-nologo"], Repo, TimeSpan.FromMinutes(5));
        Assert.True(publish.ExitCode == 0, $"dotnet publish failed:\n{publish}");
        Directory.CreateDirectory(WorkingFolder);
    }

    /// <inheritdoc />
    public Task DisposeAsync()
    {
        foreach (var folder in new[] { Folder, WorkingFolder })
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: the OS temp cleaner gets it otherwise.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Runs the published host (<c>dotnet Fanout.Host.dll ARGS</c>) from <see cref="WorkingFolder"/>, with no Fanout settings from the environment.</summary>
    public Task<ProcessRun> RunHostAsync(params string[] args) =>
        RunAsync("dotnet", [Path.Combine(Folder, "Fanout.Host.dll"), .. args], WorkingFolder, TimeSpan.FromMinutes(3));

    /// <summary>Runs a process to its end; kills it (by its PID, with its children) when it overruns <paramref name="timeout"/>.</summary>
    public static async Task<ProcessRun> RunAsync(string fileName, IEnumerable<string> args, string workingDirectory, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("Fanout__", StringComparison.OrdinalIgnoreCase) || k == "ASPNETCORE_URLS").ToList())
        {
            info.Environment.Remove(key);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{fileName} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"{fileName} {string.Join(' ', info.ArgumentList)} did not finish in {timeout}:\n{await stdout}\n{await stderr}");
        }

        return new ProcessRun(process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>What a process printed and returned.</summary>
public sealed record ProcessRun(int ExitCode, string Output, string Error)
{
    /// <inheritdoc />
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}
