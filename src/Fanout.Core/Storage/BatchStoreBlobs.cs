using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace Fanout.Core.Storage;

/// <summary>
/// The named blobs of the output and work containers that other storage owners keep there: the batch records
/// (<see cref="BatchRecords"/>) and a retry's line map and merged output (<c>RetryMerge</c>).
/// </summary>
public sealed partial class BatchStore
{
    /// <summary>The output container's address: tells stores over different accounts or containers apart.</summary>
    public Uri OutputContainerUri => _output.Uri;

    /// <summary>Whether blob <paramref name="blobName"/> of the output container exists.</summary>
    public async Task<bool> OutputExistsAsync(string blobName, CancellationToken cancellationToken)
        => (await _output.GetBlobClient(blobName).ExistsAsync(cancellationToken).ConfigureAwait(false)).Value;

    /// <summary>Writes blob <paramref name="blobName"/> of the output container unless it exists; false when it did.</summary>
    public async Task<bool> WriteOutputIfAbsentAsync(string blobName, BinaryData content, CancellationToken cancellationToken)
    {
        try
        {
            await _output.GetBlobClient(blobName).UploadAsync(
                content,
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } },
                cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
    }

    /// <summary>The names of every blob of the output container.</summary>
    public async IAsyncEnumerable<string> ListOutputBlobNamesAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in _output.GetBlobsAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return item.Name;
        }
    }

    /// <summary>Opens blob <paramref name="blobName"/> of the output container for reading (throws when absent).</summary>
    public Task<Stream> OpenOutputBlobAsync(string blobName, CancellationToken cancellationToken)
        => _output.GetBlobClient(blobName).OpenReadAsync(new BlobOpenReadOptions(allowModifications: false), cancellationToken);

    /// <summary>Opens blob <paramref name="blobName"/> of the output container for writing it whole, in 4 MB blocks.</summary>
    public Task<Stream> CreateOutputBlobAsync(string blobName, CancellationToken cancellationToken)
        => _output.GetBlockBlobClient(blobName).OpenWriteAsync(overwrite: true, new BlockBlobOpenWriteOptions { BufferSize = 4 * 1024 * 1024 }, cancellationToken);

    /// <summary>Writes blob <paramref name="blobName"/> of the work container, replacing it.</summary>
    public Task WriteWorkBlobAsync(string blobName, BinaryData content, CancellationToken cancellationToken)
        => _work.GetBlobClient(blobName).UploadAsync(content, overwrite: true, cancellationToken);

    /// <summary>Reads blob <paramref name="blobName"/> of the work container whole.</summary>
    public async Task<BinaryData> ReadWorkBlobAsync(string blobName, CancellationToken cancellationToken)
        => (await _work.GetBlobClient(blobName).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content;
}
