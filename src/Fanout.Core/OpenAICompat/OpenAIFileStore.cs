using System.Globalization;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Fanout.Core.Jsonl;

namespace Fanout.Core.OpenAICompat;

/// <summary>
/// The uploaded files of the OpenAI-compatible surface: blob <c>{file id}</c> in <see cref="OpenAIFilesContainer"/> holds
/// the file's bytes, with its name, purpose and creation time as metadata.
/// </summary>
public sealed class OpenAIFileStore(OpenAIFilesContainer container)
{
    private BlobContainerClient Container => container.Client;

    /// <summary>
    /// Streams <paramref name="content"/> into file <paramref name="id"/>, counting bytes and non-blank lines as they pass:
    /// past <paramref name="maxBytes"/> or <paramref name="maxLines"/> it throws
    /// <see cref="Jsonl.BatchLimitExceededException"/> and nothing is stored (the blocks are never committed).
    /// </summary>
    public async Task<OpenAIFileObject> UploadAsync(string id, string filename, string purpose, Stream content, long maxBytes, int maxLines, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await container.EnsureCreatedAsync().ConfigureAwait(false);
        var counted = new LimitedReadStream(content, maxBytes, maxLines);
        var createdAt = now.ToUnixTimeSeconds();
        await Container.GetBlockBlobClient(id).UploadAsync(counted, new BlobUploadOptions
        {
            Metadata = Metadata(filename, purpose, createdAt),
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/jsonl" },
        }, cancellationToken).ConfigureAwait(false);
        return new OpenAIFileObject(id, counted.Position, createdAt, filename, purpose);
    }

    /// <summary>The file object of <paramref name="id"/>, or null when there is no such file.</summary>
    public async Task<OpenAIFileObject?> GetAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            var properties = await Container.GetBlobClient(id).GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return ToFile(id, properties.Value.ContentLength, properties.Value.Metadata, properties.Value.CreatedOn);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Every file, newest first (then by id), optionally of one purpose.</summary>
    public async Task<List<OpenAIFileObject>> ListAsync(string? purpose, CancellationToken cancellationToken)
    {
        await container.EnsureCreatedAsync().ConfigureAwait(false);
        var files = new List<OpenAIFileObject>();
        await foreach (var item in Container.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Metadata, Prefix = "file-" }, cancellationToken).ConfigureAwait(false))
        {
            var file = ToFile(item.Name, item.Properties.ContentLength ?? 0, item.Metadata, item.Properties.CreatedOn ?? DateTimeOffset.UnixEpoch);
            if (purpose is null || file.Purpose == purpose)
            {
                files.Add(file);
            }
        }

        files.Sort((a, b) => b.CreatedAt != a.CreatedAt ? b.CreatedAt.CompareTo(a.CreatedAt) : string.CompareOrdinal(a.Id, b.Id));
        return files;
    }

    /// <summary>Opens a file's bytes for streaming, or null when there is no such file.</summary>
    public async Task<Stream?> OpenReadAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            return await Container.GetBlobClient(id).OpenReadAsync(new BlobOpenReadOptions(allowModifications: false), cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Deletes a file; false when there was no such file.</summary>
    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await container.EnsureCreatedAsync().ConfigureAwait(false);
        var deleted = await Container.DeleteBlobIfExistsAsync(id, cancellationToken: cancellationToken).ConfigureAwait(false);
        return deleted.Value;
    }

    /// <summary>The file's version (its ETag), or null when there is no such file.</summary>
    public async Task<ETag?> VersionAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            return (await Container.GetBlobClient(id).GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value.ETag;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// Deletes a file only if it is still at <paramref name="version"/>: false when a batch claimed it since
    /// (<see cref="ClaimAsync"/> changed it) or it is gone.
    /// </summary>
    public async Task<bool> DeleteIfUnchangedAsync(string id, ETag version, CancellationToken cancellationToken)
    {
        try
        {
            var deleted = await Container.DeleteBlobIfExistsAsync(id, conditions: new BlobRequestConditions { IfMatch = version }, cancellationToken: cancellationToken).ConfigureAwait(false);
            return deleted.Value;
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return false;
        }
    }

    /// <summary>
    /// Claims file <paramref name="id"/> for batch <paramref name="batchId"/>: a conditional write on the file (its
    /// metadata gains <c>claimed_by</c>, at the version just read), so a delete that read the file before the claim
    /// fails its own conditional delete. False when the file is gone (or no longer a batch input).
    /// </summary>
    public async Task<bool> ClaimAsync(string id, string batchId, CancellationToken cancellationToken)
    {
        var blob = Container.GetBlobClient(id);
        while (true)
        {
            BlobProperties properties;
            try
            {
                properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                return false;
            }

            var metadata = new Dictionary<string, string>(properties.Metadata) { ["claimed_by"] = batchId };
            try
            {
                await blob.SetMetadataAsync(metadata, new BlobRequestConditions { IfMatch = properties.ETag }, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                return false;
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                // Another batch claimed it at the same moment: read it again and claim on top.
            }
        }
    }

    private static Dictionary<string, string> Metadata(string filename, string purpose, long createdAt) => new()
    {
        // Metadata values are ASCII: the name is stored escaped.
        ["filename"] = Uri.EscapeDataString(filename),
        ["purpose"] = purpose,
        ["created_at"] = createdAt.ToString(CultureInfo.InvariantCulture),
    };

    private static OpenAIFileObject ToFile(string id, long bytes, IDictionary<string, string>? metadata, DateTimeOffset createdOn)
    {
        string? Get(string key) => metadata is not null && metadata.TryGetValue(key, out var v) ? v : null;
        var createdAt = long.TryParse(Get("created_at"), NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? c : createdOn.ToUnixTimeSeconds();
        return new OpenAIFileObject(id, bytes, createdAt, Uri.UnescapeDataString(Get("filename") ?? id), Get("purpose") ?? OpenAIFileIds.BatchPurpose);
    }
}
