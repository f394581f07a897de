using System.Diagnostics;

namespace Fanout.Host.Extensions;

/// <summary>
/// Bounds Ctrl+C / SIGTERM: the host gets <see cref="Timeout"/> to drain and stop in order; if something still hangs a
/// few seconds after that, the process ends itself. That is no worse than a crash: every batch resumes at the next
/// start, and the embedded Azurite stops on its own once no host owns it.
/// </summary>
internal sealed partial class ShutdownBackstop(IHostApplicationLifetime lifetime, ILogger<ShutdownBackstop> logger, TimeSpan timeout) : IHostedService, IDisposable
{
    /// <summary>The configuration key of the bound.</summary>
    public const string Key = "Fanout:Host:ShutdownTimeout";

    /// <summary>The default bound: long enough for a drain of in-flight calls, short enough for a terminal and for <c>docker stop</c> (10 s + kill).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);
    CancellationTokenRegistration registration;
    Timer? timer;

    /// <summary>Gets the time the host has to stop.</summary>
    public TimeSpan Timeout => timeout;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        registration = lifetime.ApplicationStopping.Register(() =>
            timer = new Timer(_ => ExitNow(), null, timeout + Grace, System.Threading.Timeout.InfiniteTimeSpan));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public void Dispose()
    {
        registration.Dispose();
        timer?.Dispose();
    }

    void ExitNow()
    {
        LogForcedExit(logger, (timeout + Grace).TotalSeconds);
        Console.Error.WriteLine($"Shutdown took longer than {(timeout + Grace).TotalSeconds:0} s ({Key}); exiting now. Unfinished batches resume at the next start.");
        using var self = Process.GetCurrentProcess();
        self.Kill();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Shutdown took longer than {Seconds} s; exiting now")]
    private static partial void LogForcedExit(ILogger logger, double seconds);
}
