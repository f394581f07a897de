using System.Security.Cryptography;
using System.Text;
using Fanout.Core.Jsonl;

namespace Fanout.Core.Cache;

/// <summary>
/// The name of a request in the cache: the lowercase hex SHA-256 of its url, the pool it routes to and its canonical
/// body (<see cref="CanonicalJson"/>). The <c>custom_id</c> is not part of the body, so it is left out; the pool is, so
/// an answer of one model never serves another.
/// </summary>
public static class RequestKey
{
    private static readonly byte[] Version = "fanout-cache/1\n"u8.ToArray();

    /// <summary>The key of a request to <paramref name="url"/> on pool <paramref name="pool"/> with JSON body <paramref name="body"/>.</summary>
    /// <exception cref="System.Text.Json.JsonException">The body is not JSON.</exception>
    public static string Of(string url, string pool, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(pool);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Version);
        hash.AppendData(Encoding.UTF8.GetBytes(url));
        hash.AppendData("\n"u8);
        hash.AppendData(Encoding.UTF8.GetBytes(pool));
        hash.AppendData("\n"u8);
        hash.AppendData(CanonicalJson.Canonicalize(body));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The one spelling of a line's url in the key: the two spellings of an endpoint are the same request.</summary>
    public static string UrlOf(bool isEmbedding, bool isResponse = false)
        => isEmbedding ? BatchEndpoints.Embeddings : isResponse ? BatchEndpoints.Responses : BatchEndpoints.ChatCompletions;
}
