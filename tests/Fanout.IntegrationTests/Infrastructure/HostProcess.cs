using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Fanout.LocalDev;

namespace Fanout.IntegrationTests.Infrastructure;

/// <summary>
/// The portable host as a separate OS process (<c>dotnet Fanout.Host.dll</c>), so tests can talk to it over HTTP
/// exactly as users do and kill it with SIGKILL. Stopped by its PID, never by name.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private HostProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };
    }

    /// <summary>Where the host listens.</summary>
    public Uri BaseAddress { get; }

    /// <summary>A client for the host's HTTP API.</summary>
    public HttpClient Http { get; }

    /// <summary>The host's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>What the host printed (for failure messages).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the host with <paramref name="settings"/> as <c>--Key=value</c> arguments and waits until it answers.</summary>
    public static async Task<HostProcess> StartAsync(IDictionary<string, string> settings, int? port = null)
    {
        var repoRoot = RepoRoot.Find(AppContext.BaseDirectory) ?? throw new InvalidOperationException("No repository root.");
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var hostDir = Path.Combine(repoRoot, "src", "Fanout.Host", "bin", configuration, "net10.0");
        var dll = Path.Combine(hostDir, "Fanout.Host.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"Build src/Fanout.Host ({configuration}) first.", dll);
        }

        var p = port ?? FreePorts.GetLoopbackPort();
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = hostDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add($"--Fanout:Host:Urls=http://127.0.0.1:{p}");
        info.ArgumentList.Add("--Logging:LogLevel:Default=Warning");
        foreach (var (key, value) in settings)
        {
            info.ArgumentList.Add($"--{key}={value}");
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("The host did not start.");
        var host = new HostProcess(process, new Uri($"http://127.0.0.1:{p}"));
        process.OutputDataReceived += (_, e) => host.Append(e.Data);
        process.ErrorDataReceived += (_, e) => host.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                // The parameterless wait also waits until the redirected output has been read to its end.
                await process.WaitForExitAsync();
                throw new InvalidOperationException($"The host exited with {process.ExitCode}:\n{host.Output}");
            }

            try
            {
                using var response = await host.Http.GetAsync("/healthz");
                if (response.IsSuccessStatusCode)
                {
                    return host;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200);
        }

        await host.DisposeAsync();
        throw new TimeoutException($"The host did not answer within 60 s:\n{host.Output}");
    }

    /// <summary>SIGKILL: no graceful shutdown, like a crash.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    /// <summary>SIGKILL to the host alone, as a crash or <c>kill -9 PID</c> does: what it started is left to notice.</summary>
    public async Task KillHostOnlyAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
        }

        await _process.WaitForExitAsync();
    }

    /// <summary>
    /// Sends SIGINT (Ctrl+C) and waits for the host to exit; returns how long it took. When the host ignores SIGINT
    /// (the tests run in the background of a non-interactive shell, whose jobs ignore it), SIGTERM, which the host
    /// handles the same way (a graceful stop), is sent instead.
    /// </summary>
    public async Task<TimeSpan> InterruptAsync(TimeSpan timeout)
    {
        var stopwatch = Stopwatch.StartNew();
        if (!_process.HasExited)
        {
            _ = Signals.Send(_process.Id, Signals.Ignores(_process.Id, Signals.Interrupt) ? Signals.Terminate : Signals.Interrupt);
        }

        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return stopwatch.Elapsed;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await KillAsync();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
