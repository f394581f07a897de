using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Fanout.LocalDev;

/// <summary>
/// The one Azurite (npm) of a data folder, run through <c>fanout-azurite.js</c>. A host either starts it or adopts the
/// one the folder's record names; it owns it through a control connection that the OS closes when the host dies, and
/// Azurite stops itself when no host has owned it for <see cref="AzuriteSettings.OrphanGrace"/>.
/// </summary>
public sealed partial class AzuriteProcess : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account (node_modules/azurite/README.md).</summary>
    public const string AccountName = "devstoreaccount1";

    /// <summary>The published key of <see cref="AccountName"/>; not a secret.</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>The wrapper's file name; also what identifies its processes on the command line.</summary>
    public const string ScriptName = "fanout-azurite.js";

    const int MaxStartAttempts = 3;
    static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(90);
    internal static readonly TimeSpan AttachTimeout = TimeSpan.FromSeconds(5);
    static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    readonly AzuriteControl control;
    readonly AzuriteRecord record;
    readonly Process? process;
    readonly AzuriteOutput? output;
    readonly ILogger? logger;
    int disposed;

    AzuriteProcess(string dataDirectory, AzuriteRecord record, AzuriteControl control, Process? process, AzuriteOutput? output, ILogger? logger)
    {
        DataDirectory = dataDirectory;
        this.record = record;
        this.control = control;
        this.process = process;
        this.output = output;
        this.logger = logger;
        BlobEndpoint = Endpoint(record.BlobPort);
        QueueEndpoint = Endpoint(record.QueuePort);
        TableEndpoint = Endpoint(record.TablePort);
        ConnectionString =
            $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
            $"BlobEndpoint={BlobEndpoint};QueueEndpoint={QueueEndpoint};TableEndpoint={TableEndpoint};";
    }

    /// <summary>Gets the id of the Azurite process; the only handle used to stop it.</summary>
    public int ProcessId => record.ProcessId;

    /// <summary>Gets a value indicating whether this host found the Azurite already running and adopted it.</summary>
    public bool Adopted => process is null;

    /// <summary>Gets the folder Azurite persists its data in.</summary>
    public string DataDirectory { get; }

    /// <summary>Gets the loopback port of the blob service.</summary>
    public int BlobPort => record.BlobPort;

    /// <summary>Gets the loopback port of the queue service.</summary>
    public int QueuePort => record.QueuePort;

    /// <summary>Gets the loopback port of the table service.</summary>
    public int TablePort => record.TablePort;

    /// <summary>Gets the blob endpoint, including the account path segment.</summary>
    public Uri BlobEndpoint { get; }

    /// <summary>Gets the queue endpoint, including the account path segment.</summary>
    public Uri QueueEndpoint { get; }

    /// <summary>Gets the table endpoint, including the account path segment.</summary>
    public Uri TableEndpoint { get; }

    /// <summary>Gets a storage connection string with explicit endpoints for all three services.</summary>
    public string ConnectionString { get; }

    /// <summary>Gets a value indicating whether the process has exited.</summary>
    public bool HasExited => ProcessIdentity.Identify(record.ProcessId, record.StartedAtUtc, ScriptName) != RecordedProcessState.Alive;

    /// <summary>
    /// Uses the Azurite that serves <paramref name="dataDirectory"/> if it is alive and answers; otherwise stops a hung
    /// one (by its pid, after checking the pid is still that Azurite) and starts a new one on three free loopback ports.
    /// Hosts starting on one folder at once are serialised by the folder's lock, so only one of them starts Azurite.
    /// <paramref name="azurite"/> is the azurite package folder or a folder holding <c>node_modules/azurite</c>
    /// (<see cref="AzuriteLocator"/> finds one).
    /// </summary>
    public static async Task<AzuriteProcess> StartAsync(
        string dataDirectory, string azurite, ILogger? logger, CancellationToken cancellationToken, AzuriteSettings? settings = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(azurite);
        settings ??= new AzuriteSettings();
        var location = Path.GetFullPath(dataDirectory);
        Directory.CreateDirectory(location);
        using var folderLock = await AzuriteRecord.LockAsync(location, LockTimeout, cancellationToken).ConfigureAwait(false);

        if (AzuriteRecord.Read(location) is { } existing)
        {
            var adopted = await TryAdoptAsync(location, existing, logger, cancellationToken).ConfigureAwait(false);
            if (adopted is not null)
            {
                return adopted;
            }
        }

        for (var attempt = 1; ; attempt++)
        {
            var ports = FreePorts.GetLoopbackPorts(3);
            try
            {
                return await LaunchAsync(location, azurite, ports[0], ports[1], ports[2], settings, logger, cancellationToken).ConfigureAwait(false);
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
    /// Starts a new Azurite on the same ports and data folder as <paramref name="previous"/> (which must have been
    /// disposed): a storage outage and recovery, as the same endpoints see it.
    /// </summary>
    public static async Task<AzuriteProcess> RestartAsync(AzuriteProcess previous, string azurite, ILogger? logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(previous);
        using var folderLock = await AzuriteRecord.LockAsync(previous.DataDirectory, LockTimeout, cancellationToken).ConfigureAwait(false);
        return await LaunchAsync(
            previous.DataDirectory, azurite, previous.BlobPort, previous.QueuePort, previous.TablePort, new AzuriteSettings(), logger, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>
    /// Asks Azurite to write all its databases to disk now, from one consistent cut; returns when they are there.
    /// Without it Azurite saves at most <see cref="AzuriteSettings.SaveInterval"/> later.
    /// </summary>
    public Task FlushAsync(CancellationToken cancellationToken = default) => control.FlushAsync(cancellationToken);

    /// <summary>
    /// Gives up this host's ownership. When no other host owns the Azurite, it saves and stops, and this waits for it
    /// (killing it by pid if it does not exit in time); otherwise it keeps running for the other hosts.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(StopTimeout);
            if (await control.ReleaseAsync(timeout.Token).ConfigureAwait(false))
            {
                if (!await ProcessIdentity.WaitForExitAsync(record.ProcessId, StopTimeout).ConfigureAwait(false))
                {
                    await ProcessIdentity.KillIfSameAsync(record.ProcessId, record.StartedAtUtc, [ScriptName], StopTimeout).ConfigureAwait(false);
                }

                using (await AzuriteRecord.LockAsync(DataDirectory, LockTimeout, CancellationToken.None).ConfigureAwait(false))
                {
                    AzuriteRecord.Delete(DataDirectory, record.ProcessId);
                }

                if (logger is not null)
                {
                    Log.Stopped(logger, ProcessId);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or OperationCanceledException or UnauthorizedAccessException)
        {
            if (logger is not null)
            {
                Log.StopFailed(logger, ex, ProcessId);
            }
        }
        finally
        {
            await control.DisposeAsync().ConfigureAwait(false);
            process?.Dispose();
        }
    }

    /// <summary>Returns the last lines Azurite wrote to stdout and stderr, for diagnostics (empty when adopted).</summary>
    public string GetRecentOutput() => output?.ToString() ?? string.Empty;

    static async Task<AzuriteProcess?> TryAdoptAsync(string location, AzuriteRecord existing, ILogger? logger, CancellationToken cancellationToken)
    {
        string[] identity = [ScriptName, location];
        var state = ProcessIdentity.Identify(existing.ProcessId, existing.StartedAtUtc, identity);
        if (state == RecordedProcessState.Alive)
        {
            var (control, hung) = await AzuriteControl.AttachAsync(existing.ControlPort, AttachTimeout, cancellationToken).ConfigureAwait(false);
            if (control is not null)
            {
                if (logger is not null)
                {
                    Log.Adopted(logger, existing.ProcessId, location);
                }

                return new AzuriteProcess(location, existing, control, process: null, output: null, logger);
            }

            // Alive but hung: stop it by its pid now. Refusing: it is saving on its way out, so give it time to exit first.
            if (hung || !await ProcessIdentity.WaitForExitAsync(existing.ProcessId, StopTimeout, cancellationToken).ConfigureAwait(false))
            {
                if (logger is not null)
                {
                    Log.KillingHung(logger, existing.ProcessId);
                }

                await ProcessIdentity.KillIfSameAsync(existing.ProcessId, existing.StartedAtUtc, identity, StopTimeout).ConfigureAwait(false);
            }
        }
        else if (logger is not null)
        {
            Log.StaleRecord(logger, existing.ProcessId, state.ToString());
        }

        File.Delete(Path.Combine(location, AzuriteRecord.FileName));
        return null;
    }

    static async Task<AzuriteProcess> LaunchAsync(
        string location, string azurite, int blobPort, int queuePort, int tablePort, AzuriteSettings settings, ILogger? logger, CancellationToken cancellationToken)
    {
        var launched = await AzuriteLauncher.StartAsync(location, azurite, blobPort, queuePort, tablePort, settings, logger, cancellationToken).ConfigureAwait(false);
        return new AzuriteProcess(location, launched.Record, launched.Control, launched.Process, launched.Output, logger);
    }

    static Uri Endpoint(int port) => new($"http://127.0.0.1:{Port(port)}/{AccountName}");

    static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    static partial class Log
    {
        [LoggerMessage(2, LogLevel.Information, "Azurite (pid {ProcessId}) stopped")]
        public static partial void Stopped(ILogger logger, int processId);

        [LoggerMessage(3, LogLevel.Warning, "Could not stop Azurite (pid {ProcessId})")]
        public static partial void StopFailed(ILogger logger, Exception exception, int processId);

        [LoggerMessage(6, LogLevel.Warning, "Azurite lost a port race on attempt {Attempt}; retrying on new ports")]
        public static partial void PortRace(ILogger logger, int attempt);

        [LoggerMessage(8, LogLevel.Information, "Adopted the running Azurite (pid {ProcessId}) of {Location}")]
        public static partial void Adopted(ILogger logger, int processId, string location);

        [LoggerMessage(9, LogLevel.Warning, "Azurite (pid {ProcessId}) is alive but does not answer; stopping it by its pid")]
        public static partial void KillingHung(ILogger logger, int processId);

        [LoggerMessage(10, LogLevel.Information, "The data folder's record names pid {ProcessId}, which is {State}: starting a new Azurite")]
        public static partial void StaleRecord(ILogger logger, int processId, string state);
    }
}
