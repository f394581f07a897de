using Fanout.Core.Storage;

namespace Fanout.Host.Extensions;

/// <summary>Before a batch is acknowledged, the embedded Azurite writes its databases to disk (see fanout-azurite.js).</summary>
internal sealed class EmbeddedAzuriteFlush(EmbeddedServices embedded) : IStorageFlush
{
    /// <inheritdoc />
    public Task FlushAsync(CancellationToken cancellationToken) =>
        embedded.Azurite is { } azurite ? azurite.FlushAsync(cancellationToken) : Task.CompletedTask;
}
