using System.Text.Json;
using System.Text.Json.Serialization;
using Fanout.Core.Models;

namespace Fanout.Host.Cli;

/// <summary>The batch object as <c>run</c> reads it from <c>POST</c> and <c>GET /api/batches/{id}</c> (the fields it shows; API.md "Batch object").</summary>
internal sealed record RunBatch(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("max_concurrency")] int? MaxConcurrency,
    [property: JsonPropertyName("request_counts")] RunCounts RequestCounts,
    [property: JsonPropertyName("usage")] RunUsage? Usage,
    [property: JsonPropertyName("output_blob")] string? OutputBlob,
    [property: JsonPropertyName("error_blob")] string? ErrorBlob,
    [property: JsonPropertyName("error")] RunError? Error)
{
    /// <summary>Whether the batch has a final status.</summary>
    public bool IsFinal => BatchStatus.IsFinal(Status);
}

/// <summary><c>request_counts</c> of a batch.</summary>
internal sealed record RunCounts(
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("completed")] int Completed,
    [property: JsonPropertyName("failed")] int Failed)
{
    /// <summary>Lines with a result so far.</summary>
    public int Done => Completed + Failed;

    /// <summary>The counts as the API writes them, e.g. <c>{"total":3,"completed":3,"failed":0}</c>.</summary>
    public override string ToString() => JsonSerializer.Serialize(this);
}

/// <summary><c>usage</c> of a batch.</summary>
internal sealed record RunUsage([property: JsonPropertyName("total_tokens")] long TotalTokens);

/// <summary>An error object (<c>{"code","message"}</c>) of a failed batch or of a failed line.</summary>
internal sealed record RunError(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message)
{
    /// <summary>The error as the API writes it.</summary>
    public override string ToString() => JsonSerializer.Serialize(this);
}

/// <summary>One line of <c>output.jsonl</c> (API.md "Output"): an answer or an error.</summary>
internal sealed record RunResultLine(
    [property: JsonPropertyName("custom_id")] string CustomId,
    [property: JsonPropertyName("response")] RunResponse? Response,
    [property: JsonPropertyName("error")] RunError? Error);

/// <summary>The <c>response</c> of an answered line.</summary>
internal sealed record RunResponse([property: JsonPropertyName("body")] RunCompletion? Body);

/// <summary>The chat completion in a response body.</summary>
internal sealed record RunCompletion([property: JsonPropertyName("choices")] IReadOnlyList<RunChoice>? Choices);

/// <summary>One choice of a chat completion.</summary>
internal sealed record RunChoice([property: JsonPropertyName("message")] RunMessage? Message);

/// <summary>The message of a choice.</summary>
internal sealed record RunMessage([property: JsonPropertyName("content")] string? Content);
