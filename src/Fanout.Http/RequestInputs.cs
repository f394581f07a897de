using Fanout.Core.Jsonl;
using Fanout.Core.Service;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Fanout.Http;

/// <summary>Request → service input, written once for both hosts: the query, the Idempotency-Key, the Content-Type, the body.</summary>
public static class RequestInputs
{
    /// <summary>The query parameters.</summary>
    public static QueryArgs Query(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new QueryArgs(request.Query.Select(p => KeyValuePair.Create(p.Key, (IReadOnlyList<string>)p.Value.Select(v => v ?? string.Empty).ToArray())));
    }

    /// <summary>The <c>Idempotency-Key</c> header as sent (several values joined by commas), or null when absent; the service validates it.</summary>
    public static string? IdempotencyKey(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Headers.TryGetValue(FanoutHeaders.IdempotencyKey, out var keys) ? keys.ToString() : null;
    }

    /// <summary>The media type and charset of the body, or null when there is no readable <c>Content-Type</c>.</summary>
    public static (string MediaType, string? Charset)? ContentType(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return MediaTypeHeaderValue.TryParse(request.ContentType, out var media) && media.MediaType.Value is { } type
            ? (type, media.Charset.HasValue ? media.Charset.Value : null)
            : null;
    }

    /// <summary>
    /// Who is calling, for per-key bounds: a hash of the key the request presents (<c>api-key</c>, <c>Authorization</c>,
    /// a Functions key in <c>x-functions-key</c> or <c>code</c>), or empty when it presents none. Never the key itself.
    /// </summary>
    public static string CallerKey(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? key = new[] { request.Headers["api-key"].ToString(), request.Headers.Authorization.ToString(), request.Headers["x-functions-key"].ToString(), request.Query["code"].ToString() }
            .FirstOrDefault(k => k.Length > 0);
        return key is null ? string.Empty : Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)));
    }

    /// <summary>The body, with the server's own "request too large" turned into <see cref="BodyTooLargeException"/>.</summary>
    public static Stream Body(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new LimitedReadStream(request.Body, translateError: static e => e is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } tooLarge
            ? new BodyTooLargeException(tooLarge.Message, tooLarge)
            : null);
    }
}
