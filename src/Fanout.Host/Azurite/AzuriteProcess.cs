using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Fanout.Host.Azurite;

/// <summary>A private Azurite (npm) process on three free loopback ports, stopped by its process id on dispose.</summary>
public sealed partial class AzuriteProcess : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account (node_modules/azurite/README.md).</summary>
    public const string AccountName = "devstoreaccount1";

    /// <summary>The published key of <see cref="AccountName"/>; not a secret.</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    const string SolutionFileName = "Functions.sln";
    const int MaxStartAttempts = 3;
    const int MaxCapturedOutputChars = 16_000;
    static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    static readonly TimeSpan GracefulStopTimeout = TimeSpan.FromSeconds(10);
    static readonly SemaphoreSlim InstallLock = new(1, 1);

    readonly Process process;
    readonly OutputBuffer output;
    readonly ILogger? logger;
    int disposed;

    AzuriteProcess(Process process, OutputBuffer output, string dataDirectory, int blobPort, int queuePort, int tablePort, ILogger? logger)
    {
        this.process = process;
        this.output = output;
        this.logger = logger;
        ProcessId = process.Id;
        DataDirectory = dataDirectory;
        BlobPort = blobPort;
        QueuePort = queuePort;
        TablePort = tablePort;
        BlobEndpoint = Endpoint(blobPort);
        QueueEndpoint = Endpoint(queuePort);
        TableEndpoint = Endpoint(tablePort);
        ConnectionString =
            $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
            $"BlobEndpoint={BlobEndpoint};QueueEndpoint={QueueEndpoint};TableEndpoint={TableEndpoint};";
    }

    /// <summary>Gets the id of the Azurite process; the only handle used to stop it.</summary>
    public int ProcessId { get; }

    /// <summary>Gets the folder Azurite persists its data in.</summary>
    public string DataDirectory { get; }

    /// <summary>Gets the loopback port of the blob service.</summary>
    public int BlobPort { get; }

    /// <summary>Gets the loopback port of the queue service.</summary>
    public int QueuePort { get; }

    /// <summary>Gets the loopback port of the table service.</summary>
    public int TablePort { get; }

    /// <summary>Gets the blob endpoint, including the account path segment.</summary>
    public Uri BlobEndpoint { get; }

    /// <summary>Gets the queue endpoint, including the account path segment.</summary>
    public Uri QueueEndpoint { get; }

    /// <summary>Gets the table endpoint, including the account path segment.</summary>
    public Uri TableEndpoint { get; }

    /// <summary>Gets a storage connection string with explicit endpoints for all three services.</summary>
    public string ConnectionString { get; }

    /// <summary>Gets a value indicating whether the process has exited.</summary>
    public bool HasExited => process.HasExited;

    /// <summary>
    /// Starts Azurite from <c>node_modules/.bin/azurite</c> under <paramref name="repoRoot"/> on three free loopback
    /// ports, persisting under <paramref name="dataDirectory"/>, and waits until all three ports accept connections.
    /// </summary>
    public static async Task<AzuriteProcess> StartAsync(
        string dataDirectory, string repoRoot, ILogger? logger, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(repoRoot);

        string executable = GetExecutablePath(repoRoot);
        if (!File.Exists(executable))
        {
            throw new FileNotFoundException(
                $"Azurite is not installed: '{executable}' is missing. Run 'npm ci' in '{repoRoot}' (needs Node.js) " +
                $"or call {nameof(AzuriteProcess)}.{nameof(EnsureInstalledAsync)} first.",
                executable);
        }

        string location = Path.GetFullPath(dataDirectory);
        Directory.CreateDirectory(location);

        for (int attempt = 1; ; attempt++)
        {
            int[] ports = GetFreeLoopbackPorts(3);
            try
            {
                return await StartOnceAsync(executable, location, ports[0], ports[1], ports[2], logger, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (AzuriteStartException ex) when (attempt < MaxStartAttempts && ex.PortInUse)
            {
                // Another process took a port between our probe and Azurite's bind; pick new ones.
                if (logger is not null)
                {
                    Log.PortRace(logger, attempt);
                }
            }
        }
    }

    /// <summary>
    /// Starts a new Azurite on the same ports and data folder as <paramref name="previous"/> (which must have exited):
    /// a storage outage and recovery, as the same endpoints see it.
    /// </summary>
    public static Task<AzuriteProcess> RestartAsync(AzuriteProcess previous, string repoRoot, ILogger? logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(previous);
        return StartOnceAsync(GetExecutablePath(repoRoot), previous.DataDirectory, previous.BlobPort, previous.QueuePort, previous.TablePort, logger, cancellationToken);
    }

    /// <summary>Walks up from <paramref name="startDirectory"/> to the folder holding Functions.sln; null if none.</summary>
    public static string? FindRepoRoot(string startDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(startDirectory);
        for (DirectoryInfo? dir = new(Path.GetFullPath(startDirectory)); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, SolutionFileName)))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    /// <summary>Gets a value indicating whether <c>node_modules/.bin/azurite</c> exists under <paramref name="repoRoot"/>.</summary>
    public static bool IsInstalled(string repoRoot) => File.Exists(GetExecutablePath(repoRoot));

    /// <summary>
    /// Installs the repo's npm tools (Azurite) when <c>node_modules/.bin/azurite</c> is missing:
    /// <c>npm ci</c> when package-lock.json exists, else <c>npm install</c>.
    /// </summary>
    public static async Task EnsureInstalledAsync(string repoRoot, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(repoRoot);
        if (IsInstalled(repoRoot))
        {
            return;
        }

        await InstallLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (IsInstalled(repoRoot))
            {
                return;
            }

            bool hasLock = File.Exists(Path.Combine(repoRoot, "package-lock.json"));
            string[] arguments = hasLock ? ["ci", "--no-audit", "--no-fund"] : ["install", "--no-audit", "--no-fund"];
            if (logger is not null)
            {
                Log.Installing(logger, string.Join(' ', arguments), repoRoot);
            }

            ProcessStartInfo startInfo = new(OperatingSystem.IsWindows() ? "npm.cmd" : "npm")
            {
                WorkingDirectory = repoRoot,
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (string argument in arguments)
            {
                startInfo.ArgumentList.Add(argument);
            }

            using Process npm = Process.Start(startInfo)
                ?? throw new InvalidOperationException("Could not start npm; is Node.js installed and on PATH?");
            Task<string> stdout = npm.StandardOutput.ReadToEndAsync(cancellationToken);
            Task<string> stderr = npm.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                await npm.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                npm.Kill(entireProcessTree: true);
                throw;
            }

            string text = await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false);
            if (npm.ExitCode != 0 || !IsInstalled(repoRoot))
            {
                throw new InvalidOperationException(
                    $"'npm {string.Join(' ', arguments)}' in '{repoRoot}' failed with exit code {npm.ExitCode}:{Environment.NewLine}{Tail(text)}");
            }
        }
        finally
        {
            InstallLock.Release();
        }
    }

    /// <summary>Stops Azurite: SIGTERM first so it flushes its metadata, then kills the process tree by id.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                // Azurite saves its LokiJS metadata every 5 s; a plain kill can lose the last writes.
                if (!OperatingSystem.IsWindows() && await SendTerminateAsync(process.Id).ConfigureAwait(false))
                {
                    using CancellationTokenSource graceful = new(GracefulStopTimeout);
                    try
                    {
                        await process.WaitForExitAsync(graceful.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        // Falls through to the kill below.
                    }
                }

                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    using CancellationTokenSource killed = new(GracefulStopTimeout);
                    await process.WaitForExitAsync(killed.Token).ConfigureAwait(false);
                }
            }

            if (logger is not null)
            {
                Log.Stopped(logger, ProcessId);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            if (logger is not null)
            {
                Log.StopFailed(logger, ex, ProcessId);
            }
        }
        finally
        {
            process.Dispose();
        }
    }

    /// <summary>Returns the last lines Azurite wrote to stdout and stderr, for diagnostics.</summary>
    public string GetRecentOutput() => output.ToString();

    static async Task<AzuriteProcess> StartOnceAsync(
        string executable, string location, int blobPort, int queuePort, int tablePort, ILogger? logger, CancellationToken cancellationToken)
    {
        ProcessStartInfo startInfo = new(executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            WorkingDirectory = location,
        };
        string[] arguments =
        [
            "--silent",
            "--skipApiVersionCheck",
            "--loose",
            "--disableTelemetry",
            "--location", location,
            "--blobHost", "127.0.0.1", "--blobPort", Port(blobPort),
            "--queueHost", "127.0.0.1", "--queuePort", Port(queuePort),
            "--tableHost", "127.0.0.1", "--tablePort", Port(tablePort),
        ];
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        OutputBuffer output = new();
        Process process = new() { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => output.Add(e.Data, logger, isError: false);
        process.ErrorDataReceived += (_, e) => output.Add(e.Data, logger, isError: true);
        if (!process.Start())
        {
            process.Dispose();
            throw new InvalidOperationException($"Could not start '{executable}'.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        AzuriteProcess azurite = new(process, output, location, blobPort, queuePort, tablePort, logger);
        try
        {
            await WaitUntilListeningAsync(azurite, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await azurite.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        if (logger is not null)
        {
            Log.Started(logger, azurite.ProcessId, blobPort, queuePort, tablePort, location);
        }

        return azurite;
    }

    static async Task WaitUntilListeningAsync(AzuriteProcess azurite, CancellationToken cancellationToken)
    {
        using CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        int[] pending = [azurite.BlobPort, azurite.QueuePort, azurite.TablePort];
        int next = 0;
        while (next < pending.Length)
        {
            if (azurite.process.HasExited)
            {
                // Let the asynchronous readers drain what the process wrote before it died.
                await azurite.process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                string text = azurite.output.ToString();
                throw new AzuriteStartException(
                    $"Azurite exited with code {azurite.process.ExitCode} before listening on 127.0.0.1:{pending[next]}." +
                    $"{Environment.NewLine}{text}",
                    portInUse: text.Contains("EADDRINUSE", StringComparison.Ordinal));
            }

            if (await CanConnectAsync(pending[next], timeout.Token).ConfigureAwait(false))
            {
                next++;
                continue;
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException(
                    $"Azurite did not listen on 127.0.0.1:{pending[next]} within {StartTimeout.TotalSeconds:0} s." +
                    $"{Environment.NewLine}{azurite.output}");
            }
        }
    }

    static async Task<bool> CanConnectAsync(int port, CancellationToken cancellationToken)
    {
        using Socket socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, port, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    static int[] GetFreeLoopbackPorts(int count)
    {
        // Hold all listeners at once so the ports are distinct, then release them for Azurite.
        TcpListener[] listeners = new TcpListener[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                listeners[i] = new TcpListener(IPAddress.Loopback, 0);
                listeners[i].Start();
            }

            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (TcpListener? listener in listeners)
            {
                listener?.Stop();
            }
        }
    }

    static string GetExecutablePath(string repoRoot) =>
        Path.Combine(repoRoot, "node_modules", ".bin", OperatingSystem.IsWindows() ? "azurite.cmd" : "azurite");

    static Uri Endpoint(int port) => new($"http://127.0.0.1:{Port(port)}/{AccountName}");

    static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    static string Tail(string text) => text.Length <= MaxCapturedOutputChars ? text : text[^MaxCapturedOutputChars..];

    static async Task<bool> SendTerminateAsync(int pid)
    {
        // SIGTERM by process id through kill(1); .NET itself can only send SIGKILL.
        ProcessStartInfo startInfo = new("kill") { UseShellExecute = false, RedirectStandardError = true };
        startInfo.ArgumentList.Add("-TERM");
        startInfo.ArgumentList.Add(pid.ToString(CultureInfo.InvariantCulture));
        try
        {
            using Process? kill = Process.Start(startInfo);
            if (kill is null)
            {
                return false;
            }

            await kill.WaitForExitAsync().ConfigureAwait(false);
            return kill.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    sealed class AzuriteStartException(string message, bool portInUse) : InvalidOperationException(message)
    {
        public bool PortInUse { get; } = portInUse;
    }

    sealed class OutputBuffer
    {
        readonly Lock gate = new();
        readonly StringBuilder text = new();

        public void Add(string? line, ILogger? logger, bool isError)
        {
            if (line is null)
            {
                return;
            }

            lock (gate)
            {
                text.AppendLine(line);
                if (text.Length > MaxCapturedOutputChars)
                {
                    text.Remove(0, text.Length - MaxCapturedOutputChars);
                }
            }

            if (logger is not null)
            {
                if (isError)
                {
                    Log.StandardError(logger, line);
                }
                else
                {
                    Log.StandardOutput(logger, line);
                }
            }
        }

        public override string ToString()
        {
            lock (gate)
            {
                return text.ToString();
            }
        }
    }

    static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Azurite started (pid {ProcessId}): blob {BlobPort}, queue {QueuePort}, table {TablePort}, data in {Location}")]
        public static partial void Started(ILogger logger, int processId, int blobPort, int queuePort, int tablePort, string location);

        [LoggerMessage(2, LogLevel.Information, "Azurite (pid {ProcessId}) stopped")]
        public static partial void Stopped(ILogger logger, int processId);

        [LoggerMessage(3, LogLevel.Warning, "Could not stop Azurite (pid {ProcessId})")]
        public static partial void StopFailed(ILogger logger, Exception exception, int processId);

        [LoggerMessage(4, LogLevel.Debug, "azurite: {Line}")]
        public static partial void StandardOutput(ILogger logger, string line);

        [LoggerMessage(5, LogLevel.Warning, "azurite stderr: {Line}")]
        public static partial void StandardError(ILogger logger, string line);

        [LoggerMessage(6, LogLevel.Warning, "Azurite lost a port race on attempt {Attempt}; retrying on new ports")]
        public static partial void PortRace(ILogger logger, int attempt);

        [LoggerMessage(7, LogLevel.Information, "Installing Azurite: npm {Arguments} in {RepoRoot}")]
        public static partial void Installing(ILogger logger, string arguments, string repoRoot);
    }
}
