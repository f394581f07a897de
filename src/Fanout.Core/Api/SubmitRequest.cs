using Fanout.Core.Estimates;
using Fanout.Core.Models;
using Fanout.Core.Service;

namespace Fanout.Core.Api;

/// <summary>How a submit's body is written (the transport reads it from the Content-Type).</summary>
public enum SubmitFormat
{
    /// <summary>OpenAI Batch input lines (<c>application/jsonl</c> and its aliases).</summary>
    Jsonl,

    /// <summary>The prompts form <c>{"prompts": [...]}</c> (<c>application/json</c>).</summary>
    PromptsJson,
}

/// <summary>A submit as the transport hands it over.</summary>
/// <param name="Body">The body, read once.</param>
/// <param name="Format">How the body is written.</param>
/// <param name="ContentLength">The announced length, when there is one (checked against the limit before reading).</param>
/// <param name="Query">The query parameters (<see cref="SubmitQuery"/>).</param>
/// <param name="IdempotencyKey">The Idempotency-Key, or null.</param>
public sealed record SubmitRequest(Stream Body, SubmitFormat Format, long? ContentLength, QueryArgs Query, string? IdempotencyKey);

/// <summary>What a submit answers: the batch started (or found again by its Idempotency-Key), or the estimate of a dry run.</summary>
/// <param name="Batch">The batch, when one was started or found.</param>
/// <param name="Estimate">The estimate, for <c>dryRun=true</c>.</param>
public sealed record SubmitReply(BatchObject? Batch, BatchEstimate? Estimate);
