using System.Runtime.CompilerServices;
using Fanout.Core.OpenAICompat;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Fanout.Http.OpenAI;

/// <summary>Request → input of the OpenAI-compatible services: the multipart upload and the JSON body of a batch create.</summary>
public static class OpenAIRequestInputs
{
    /// <summary>The upload of <c>POST /v1/files</c>, or null when the body is not <c>multipart/form-data</c> with a boundary.</summary>
    public static FormUpload? Upload(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !string.Equals(mediaType.MediaType.Value, "multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 } boundary)
        {
            return null;
        }

        return new FormUpload(RequestInputs.Body(request), (body, ct) => ReadPartsAsync(boundary, body, ct));
    }

    /// <summary>The body of <c>POST /v1/batches</c>, or null when it is not <c>application/json</c>.</summary>
    public static Stream? JsonBody(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return RequestInputs.ContentType(request) is { } type && string.Equals(type.MediaType, "application/json", StringComparison.OrdinalIgnoreCase)
            ? RequestInputs.Body(request)
            : null;
    }

    /// <summary>The parts of a multipart body, read as the caller enumerates them; parts without a readable Content-Disposition are skipped.</summary>
    private static async IAsyncEnumerable<FormPart> ReadPartsAsync(string boundary, Stream body, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = new MultipartReader(boundary, body);
        while (await reader.ReadNextSectionAsync(cancellationToken).ConfigureAwait(false) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
            {
                continue;
            }

            var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
            yield return new FormPart(HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? string.Empty, fileName, section.Body);
        }
    }
}
