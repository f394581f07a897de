namespace Fanout.Core.Storage;

/// <summary>Storage that is durable as soon as a write returns (Azure Storage).</summary>
public sealed class DurableOnWriteStorage : IStorageFlush
{
    /// <inheritdoc />
    public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
