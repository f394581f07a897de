using Fanout.Core.Service;
using Microsoft.AspNetCore.Http;

namespace Fanout.Http;

/// <summary>
/// The <c>Content-Encoding</c> of an upload. The portable host's request decompression middleware decodes gzip, br and
/// deflate (and removes the header) before a route reads the body, with the size limits counted on the decoded bytes;
/// whatever encoding is still there when a route reads the body is one nothing decodes: 415, naming the header. Read
/// as-is, such a body was stored as garbage (every line <c>invalid_json_line</c>). On the Functions app nothing
/// decodes, so every compressed body gets this 415.
/// </summary>
public static class ContentEncodings
{
    /// <summary>A 415 when the body still carries an encoding other than <c>identity</c>; null when it can be read as sent.</summary>
    public static ServiceError? Check(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var encodings = request.Headers.ContentEncoding.SelectMany(v => (v ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(e => !string.Equals(e, "identity", StringComparison.OrdinalIgnoreCase))
            .ToList();
        return encodings.Count == 0
            ? null
            : ServiceError.UnsupportedMediaType(
                $"Content-Encoding '{string.Join(", ", encodings)}' is not supported here: send the body uncompressed, or with a single Content-Encoding of gzip or br to the portable host (which decompresses them).");
    }
}
