using Microsoft.Extensions.Hosting;

namespace Fanout.Durable;

/// <summary>An <see cref="IHostLifetime"/> that leaves start and stop to the code that owns the host.</summary>
internal sealed class ExternallyControlledLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
