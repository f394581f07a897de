using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Fanout.Core.Service;

namespace Fanout.Core.Api;

/// <summary>Batch ids: their shape, new ones, the ones an Idempotency-Key or a dropped blob stands for.</summary>
public static partial class BatchIds
{
    /// <summary>The message of a malformed id.</summary>
    public const string InvalidIdMessage = "A batch id is 1-128 letters, digits, '_', '-' or '.', starting with a letter or digit.";

    /// <summary>True when <paramref name="id"/> has the shape of a batch id.</summary>
    public static bool IsValid(string id) => ValidId().IsMatch(id);

    /// <summary>A fresh id.</summary>
    public static string New() => "batch_" + Guid.NewGuid().ToString("N");

    /// <summary>The batch id for an Idempotency-Key.</summary>
    public static string Idempotent(string key)
        => "batch_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..32];

    /// <summary>The error of an Idempotency-Key that is given but empty or longer than 256 characters; null when it is fine or absent.</summary>
    public static ServiceError? CheckIdempotencyKey(string? key) => key is { Length: 0 or > 256 }
        ? ServiceError.Invalid("invalid_idempotency_key", "Idempotency-Key must be 1-256 characters.")
        : null;

    /// <summary>The first 16 hex digits of the SHA-256 of a dropped blob's content.</summary>
    public static async Task<string> ContentHashAsync(Stream content, CancellationToken cancellationToken)
        => Convert.ToHexStringLower(await SHA256.HashDataAsync(content, cancellationToken).ConfigureAwait(false))[..16];

    /// <summary>The batch id of a dropped blob: readable name plus a content hash.</summary>
    public static string FromBlob(string blobName, string contentHash)
    {
        var stem = Path.GetFileNameWithoutExtension(blobName);
        var safe = UnsafeIdChars().Replace(stem, "-").Trim('-');
        if (safe.Length > 60)
        {
            safe = safe[..60];
        }

        return $"blob_{(safe.Length == 0 ? "batch" : safe)}_{contentHash}";
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex ValidId();

    [GeneratedRegex("[^A-Za-z0-9-]+")]
    private static partial Regex UnsafeIdChars();
}
