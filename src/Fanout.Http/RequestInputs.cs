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

    /// <summary>The body, with the server's own "request too large" turned into <see cref="BodyTooLargeException"/>.</summary>
    public static Stream Body(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new TransportBodyStream(request.Body);
    }
}
