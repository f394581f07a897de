using System.Text.Json;
using Fanout.Core.Api;
using Fanout.Core.Jsonl;
using Fanout.Core.Models;
using Fanout.Core.Service;

namespace Fanout.Core.OpenAICompat;

/// <summary>The body of <c>POST /v1/batches</c>: <c>{"input_file_id", "endpoint", "completion_window", "metadata"?, "max_concurrency"?, "max_total_tokens"?, "cache"?}</c>.</summary>
/// <param name="InputFileId">The uploaded input file.</param>
/// <param name="Endpoint">The endpoint every line's url must match.</param>
/// <param name="Metadata">The caller's metadata, checked.</param>
/// <param name="MaxConcurrency">Fanout's cap on calls in flight; null for the default.</param>
/// <param name="MaxTotalTokens">Fanout's token budget; null for none.</param>
/// <param name="CompletionWindow">The batch's deadline from its creation (<c>completion_window</c>, <c>24h</c> or any <c>Nh</c> / <c>Nm</c>); null = 24 h.</param>
/// <param name="StandardSpend">Extra field <c>standard_spend</c>: false forbids standard (pay-as-you-go) pool members; null = allowed.</param>
/// <param name="Cache">Fanout's response cache for the batch (<c>"cache": true</c>); null for the host's default.</param>
public sealed record CreateBatchRequest(
    string InputFileId, string Endpoint, IReadOnlyDictionary<string, string>? Metadata, int? MaxConcurrency, long? MaxTotalTokens = null, string? CompletionWindow = null, bool? StandardSpend = null, bool? Cache = null)
{
    private const int MaxBodyBytes = 1024 * 1024;

    /// <summary>Reads and checks the JSON body (at most 1 MB); every fault is a 400 <c>invalid_body</c> naming the field.</summary>
    public static async Task<ServiceResult<CreateBatchRequest>> ReadAsync(Stream body, int maxConcurrencyLimit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(new LimitedReadStream(body, MaxBodyBytes), new JsonDocumentOptions { MaxDepth = 16 }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is JsonException or BatchLimitExceededException or BodyTooLargeException)
        {
            return ServiceError.InvalidBody($"The body is not a valid JSON object of at most 1 MB: {e.Message}");
        }

        using (doc)
        {
            return Read(doc.RootElement, maxConcurrencyLimit);
        }
    }

    /// <summary>Checks a parsed body.</summary>
    public static ServiceResult<CreateBatchRequest> Read(JsonElement root, int maxConcurrencyLimit)
    {
        static ServiceError Bad(string message) => ServiceError.InvalidBody(message);
        if (root.ValueKind != JsonValueKind.Object)
        {
            return Bad("The body must be a JSON object {\"input_file_id\", \"endpoint\", \"completion_window\"}.");
        }

        if (!root.TryGetProperty("input_file_id", out var f) || f.ValueKind == JsonValueKind.Null)
        {
            return Bad("'input_file_id' is required: the id of a file uploaded to /v1/files with purpose \"batch\".");
        }

        if (f.ValueKind != JsonValueKind.String || !OpenAIFileIds.IsFileId(f.GetString()!))
        {
            return Bad("'input_file_id' must be a file id as /v1/files returns it (\"file-\" followed by up to 200 letters, digits, '_', '.' or '-').");
        }

        if (!root.TryGetProperty("endpoint", out var e) || e.ValueKind != JsonValueKind.String || e.GetString()!.Length is 0 or > 256)
        {
            return Bad($"'endpoint' is required: one of {string.Join(", ", BatchEndpoints.Supported)}.");
        }

        string? window = null;
        if (root.TryGetProperty("completion_window", out var w) && w.ValueKind != JsonValueKind.Null)
        {
            if (w.ValueKind != JsonValueKind.String || w.GetString() is not { } text || !(text.EndsWith('h') || text.EndsWith('m'))
                || !Planning.BatchDeadline.TryParseDuration(text, out _))
            {
                return Bad("'completion_window' must be \"24h\", or any number of hours or minutes such as \"6h\" or \"90m\".");
            }

            window = text;
        }

        bool? standardSpend = null;
        if (root.TryGetProperty("standard_spend", out var s) && s.ValueKind != JsonValueKind.Null)
        {
            if (s.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return Bad("'standard_spend' must be true or false.");
            }

            standardSpend = s.GetBoolean();
        }

        if (!ConcurrencyCap.TryRead(root, ConcurrencyCap.OpenAIField, maxConcurrencyLimit, out var cap, out var capError))
        {
            return capError;
        }

        long? budget = null;
        if (root.TryGetProperty("max_total_tokens", out var t) && t.ValueKind != JsonValueKind.Null)
        {
            if (t.ValueKind != JsonValueKind.Number || !t.TryGetInt64(out var tokens) || tokens < 1)
            {
                return Bad("'max_total_tokens' must be a positive integer (the batch's token budget).");
            }

            budget = tokens;
        }

        bool? cache = null;
        if (SubmitOptionsQuery.ReadCacheJson(root, ref cache) is { } cacheError)
        {
            return Bad(cacheError);
        }

        if (BatchMetadata.Read(root, out var metadata) is { } metadataError)
        {
            return Bad(metadataError);
        }

        return new CreateBatchRequest(f.GetString()!, e.GetString()!, metadata, cap, budget, window, standardSpend, cache);
    }
}
