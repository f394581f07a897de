using Fanout.LocalDev;
using Fanout.Simulator;

namespace Fanout.Host.Extensions;

/// <summary>
/// What the host started for itself (Azurite, the simulator). Registered as the first hosted service so that it stops
/// last, after the durable worker has drained; every process is stopped by its PID.
/// </summary>
public sealed class EmbeddedServices : IHostedService, IAsyncDisposable
{
    /// <summary>The Azurite the host started, if any.</summary>
    public AzuriteProcess? Azurite { get; set; }

    /// <summary>The simulator the host started, if any.</summary>
    public SimulatorServer? Simulator { get; set; }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Simulator is { } simulator)
        {
            Simulator = null;
            await simulator.DisposeAsync().ConfigureAwait(false);
        }

        if (Azurite is { } azurite)
        {
            Azurite = null;
            await azurite.DisposeAsync().ConfigureAwait(false);
        }
    }
}
