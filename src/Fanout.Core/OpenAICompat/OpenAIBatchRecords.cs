using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Fanout.Core.OpenAICompat;

/// <summary>
/// What the OpenAI-compatible surface remembers of its batches, as empty blobs in <see cref="OpenAIFilesContainer"/>:
/// <c>_batches/{batch id}</c> lists the batches made through <c>/v1/batches</c> (newest first by name), and
/// <c>_uses/{file id}/{batch id}</c> records which batches read a file, so it is not deleted under a running one.
/// A <c>_batches/{batch id}</c> blob carries the batch's input file id and endpoint as metadata: its batch object is
/// served from them and the batch's <c>batch.json</c> once the orchestration history is purged.
/// </summary>
public sealed class OpenAIBatchRecords(OpenAIFilesContainer container)
{
    private const string BatchesPrefix = "_batches/";
    private const string UsesPrefix = "_uses/";
    private const string InputFileKey = "input_file_id";
    private const string EndpointKey = "endpoint";

    private BlobContainerClient Container => container.Client;

    /// <summary>Records a batch made through <c>/v1/batches</c> from <paramref name="fileId"/> for <paramref name="endpoint"/> (before it starts).</summary>
    public async Task RecordBatchAsync(string batchId, string fileId, string endpoint, CancellationToken cancellationToken)
    {
        await container.EnsureCreatedAsync().ConfigureAwait(false);
        var origin = new BlobUploadOptions { Metadata = new Dictionary<string, string> { [InputFileKey] = fileId, [EndpointKey] = endpoint } };
        await Task.WhenAll(
            Container.GetBlobClient($"{UsesPrefix}{fileId}/{batchId}").UploadAsync(BinaryData.Empty, overwrite: true, cancellationToken),
            Container.GetBlobClient(BatchesPrefix + batchId).UploadAsync(BinaryData.Empty, origin, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Forgets a batch that was recorded but never created (its input file was gone when it was claimed).</summary>
    public async Task ForgetBatchAsync(string batchId, string fileId, CancellationToken cancellationToken)
    {
        await Task.WhenAll(
            Container.DeleteBlobIfExistsAsync($"{UsesPrefix}{fileId}/{batchId}", cancellationToken: cancellationToken),
            Container.DeleteBlobIfExistsAsync(BatchesPrefix + batchId, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// The input file id and endpoint a batch was made with through <c>/v1/batches</c>; nulls for a batch made through
    /// <c>/api/batches</c> (or recorded before the record carried them).
    /// </summary>
    public async Task<(string? InputFileId, string? Endpoint)> ReadOriginAsync(string batchId, CancellationToken cancellationToken)
    {
        try
        {
            var properties = await Container.GetBlobClient(BatchesPrefix + batchId).GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            var metadata = properties.Value.Metadata;
            return (metadata.TryGetValue(InputFileKey, out var file) ? file : null, metadata.TryGetValue(EndpointKey, out var endpoint) ? endpoint : null);
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            return (null, null);
        }
    }

    /// <summary>The batches that read <paramref name="fileId"/>, with when each use was recorded.</summary>
    public async Task<List<(string BatchId, DateTimeOffset RecordedAt)>> BatchesUsingAsync(string fileId, CancellationToken cancellationToken)
    {
        await container.EnsureCreatedAsync().ConfigureAwait(false);
        var prefix = $"{UsesPrefix}{fileId}/";
        var uses = new List<(string, DateTimeOffset)>();
        await foreach (var item in Container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken).ConfigureAwait(false))
        {
            uses.Add((item.Name[prefix.Length..], item.Properties.CreatedOn ?? item.Properties.LastModified ?? DateTimeOffset.MinValue));
        }

        return uses;
    }

    /// <summary>Forgets which batches read <paramref name="fileId"/> (the file was deleted).</summary>
    public async Task ForgetUsesAsync(string fileId, CancellationToken cancellationToken)
    {
        await container.EnsureCreatedAsync().ConfigureAwait(false);
        await foreach (var item in Container.GetBlobsAsync(new GetBlobsOptions { Prefix = $"{UsesPrefix}{fileId}/" }, cancellationToken).ConfigureAwait(false))
        {
            await Container.DeleteBlobIfExistsAsync(item.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// One page of the batches made through <c>/v1/batches</c>, newest first: up to <paramref name="limit"/> ids after
    /// <paramref name="after"/> (null = from the newest), and whether more follow.
    /// </summary>
    public async Task<(List<string> Ids, bool HasMore)> ListBatchesAsync(string? after, int limit, CancellationToken cancellationToken)
    {
        await container.EnsureCreatedAsync().ConfigureAwait(false);
        var ids = new List<string>(limit + 1);
        var started = after is null;
        await foreach (var item in Container.GetBlobsAsync(new GetBlobsOptions { Prefix = BatchesPrefix }, cancellationToken).ConfigureAwait(false))
        {
            var id = item.Name[BatchesPrefix.Length..];
            if (!started)
            {
                // Names sort newest first; an id that is not listed (a batch made elsewhere) starts after its place.
                started = string.CompareOrdinal(id, after) > 0;
                if (!started)
                {
                    continue;
                }
            }

            ids.Add(id);
            if (ids.Count > limit)
            {
                break;
            }
        }

        var hasMore = ids.Count > limit;
        if (hasMore)
        {
            ids.RemoveAt(ids.Count - 1);
        }

        return (ids, hasMore);
    }
}
