using Fanout.Core.Models;
using Fanout.Core.Storage;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Fanout.Core.Api;

/// <summary>
/// The blob drop: a JSONL blob in the input container starts a batch whose id comes from its name and content hash,
/// so the same name and content never start a second batch (whichever trigger or watcher sees it, however often).
/// </summary>
public sealed partial class BlobDropStarter(BatchStore store, BatchStarter starter, ILogger<BlobDropStarter> logger)
{
    /// <summary>The input container (the one the Functions blob trigger names through <c>%Fanout:Storage:InputContainer%</c>).</summary>
    public string Container => store.InputContainer;

    /// <summary>Starts the batch of blob <paramref name="blobName"/> of the input container; returns its id.</summary>
    public Task<string> StartAsync(string blobName, DurableTaskClient client, CancellationToken cancellationToken)
        => StartAsync(blobName, ct => store.OpenInputAsync(blobName, ct), client, cancellationToken);

    /// <summary>Starts the batch of blob <paramref name="blobName"/>, reading its content through <paramref name="openContent"/> (e.g. a trigger's bound blob); returns its id.</summary>
    public async Task<string> StartAsync(string blobName, Func<CancellationToken, Task<Stream>> openContent, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(openContent);
        ArgumentNullException.ThrowIfNull(client);
        string hash;
        await using (var content = await openContent(cancellationToken).ConfigureAwait(false))
        {
            hash = await BatchIds.ContentHashAsync(content, cancellationToken).ConfigureAwait(false);
        }

        var id = BatchIds.FromBlob(blobName, hash);
        if (await client.GetInstanceAsync(id, cancellationToken).ConfigureAwait(false) is not null
            || await BatchRecords.ExistsAsync(store, id, cancellationToken).ConfigureAwait(false))
        {
            return id;
        }

        var input = starter.NewInput(
            id,
            source: new BatchSource(Container, blobName),
            metadata: new Dictionary<string, string> { ["source_blob"] = $"{Container}/{blobName}" });
        await starter.StartAsync(client, input, cancellationToken).ConfigureAwait(false);
        LogBlobStarted(logger, id, blobName);
        return id;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {BatchId} started from blob {BlobName}")]
    private static partial void LogBlobStarted(ILogger logger, string batchId, string blobName);
}
