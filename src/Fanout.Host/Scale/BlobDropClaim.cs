using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Fanout.Durable;

namespace Fanout.Host.Scale;

/// <summary>
/// Makes one host of several watching the same input container start a dropped blob: before starting it, a host
/// creates a claim blob for that version of the blob (its name and ETag) in the work container with
/// <c>If-None-Match: *</c>, which storage grants to exactly one. Without it, hosts that scan at the same moment all
/// find no orchestration yet and all schedule one with the same instance id. A claim whose owner died before starting
/// the batch is taken over, again conditionally (<c>If-Match</c>), once it is <see cref="StaleAfter"/> old; starting
/// is idempotent (the batch id comes from the blob's content), so a late second start finds the batch and stops.
/// </summary>
public static class BlobDropClaim
{
    /// <summary>How old a claim must be before another host may take it over.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(2);

    private const string Prefix = "blob-drop-claims/";
    private const string OwnerKey = "owner";

    /// <summary>True when this process may start <paramref name="blob"/>: it claimed it now, or had claimed it before.</summary>
    public static async Task<bool> TryClaimAsync(BlobContainerClient work, BlobItem blob, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(blob);
        ArgumentNullException.ThrowIfNull(time);
        var claim = work.GetBlobClient(ClaimName(blob.Name, blob.Properties.ETag));
        var owner = new Dictionary<string, string> { [OwnerKey] = WorkerIdentity.Default };
        try
        {
            await claim.UploadAsync(BinaryData.Empty, new BlobUploadOptions { Metadata = owner, Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // Claimed already: by this process (a start that failed and is tried again), or by another.
        }

        BlobProperties properties;
        try
        {
            properties = (await claim.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }

        if (properties.Metadata.TryGetValue(OwnerKey, out var current) && current == WorkerIdentity.Default)
        {
            return true;
        }

        if (time.GetUtcNow() - properties.LastModified < StaleAfter)
        {
            return false;
        }

        try
        {
            await claim.UploadAsync(BinaryData.Empty, new BlobUploadOptions { Metadata = owner, Conditions = new BlobRequestConditions { IfMatch = properties.ETag } }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return false;
        }
    }

    /// <summary>The claim's name: one per blob name and version.</summary>
    internal static string ClaimName(string blobName, ETag? etag)
    {
        var name = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(blobName)))[..32];
        var version = (etag?.ToString() ?? "none").Trim('"').Replace("/", "_", StringComparison.Ordinal);
        return $"{Prefix}{name}-{version}";
    }
}
