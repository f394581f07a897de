using Fanout.Core.Api;
using Fanout.Core.Service;
using Microsoft.AspNetCore.Http;

namespace Fanout.Http.Batches;

/// <summary>The content negotiation of a submit: which <see cref="SubmitFormat"/> a Content-Type names (415 for anything else).</summary>
public static class SubmitFormats
{
    private static readonly string[] JsonlTypes = ["application/jsonl", "application/x-ndjson", "application/x-jsonlines", "application/jsonlines", "application/json-lines"];

    /// <summary>The format of the request's body.</summary>
    public static ServiceResult<SubmitFormat> Read(HttpRequest request)
    {
        if (RequestInputs.ContentType(request) is not var (type, charset))
        {
            return ServiceError.UnsupportedMediaType("Content-Type must be application/json ({\"prompts\": [...]}) or application/jsonl (OpenAI Batch input lines).");
        }

        var isJsonl = JsonlTypes.Contains(type, StringComparer.OrdinalIgnoreCase);
        if (!isJsonl && !string.Equals(type, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            return ServiceError.UnsupportedMediaType($"Content-Type '{type}' is not supported; use application/json or application/jsonl.");
        }

        if (charset is not null && !string.Equals(charset, "utf-8", StringComparison.OrdinalIgnoreCase))
        {
            return ServiceError.UnsupportedMediaType("Only the utf-8 charset is supported.");
        }

        return isJsonl ? SubmitFormat.Jsonl : SubmitFormat.PromptsJson;
    }
}
