using Fanout.Core.Cost;
using Fanout.Core.Options;

namespace Fanout.Core.Models;

/// <summary>Where a batch's raw JSONL input lives (blob drop).</summary>
public sealed record BatchSource(string Container, string BlobName);

/// <summary>The shape of a prepared (validated, chunked) batch.</summary>
public sealed record PreparedBatch(int Total, int Invalid, int ChunkSize, string? FatalErrorCode = null, string? FatalErrorMessage = null)
{
    /// <summary>Number of chunks.</summary>
    public int ChunkCount => Total == 0 ? 0 : ((Total - 1) / ChunkSize) + 1;

    /// <summary>Lines in chunk <paramref name="chunk"/>.</summary>
    public int CountOf(int chunk) => Math.Min(ChunkSize, Total - (chunk * ChunkSize));
}

/// <summary>The orchestration input: small, never the prompts themselves.</summary>
public sealed record BatchInput(
    string BatchId,
    string Deployment,
    int MaxConcurrency,
    long CreatedAt,
    BatchSource? Source = null,
    PreparedBatch? Prepared = null,
    IReadOnlyDictionary<string, string>? Metadata = null,
    int ChunkSize = BatchOptions.DefaultChunkSize,
    int MinChunkWindow = BatchOptions.DefaultMinChunkWindow,
    int MaxDurableRetries = OpenAIOptions.DefaultMaxDurableRetries,
    int MaxCallSeconds = 0,
    string? Endpoint = null,
    long? MaxTotalTokens = null,
    RetrySource? Retry = null,
    ChunkResume? Resume = null,
    BatchPricing? Pricing = null,
    bool AllowStandard = true,
    long? Deadline = null,
    bool Cache = false)
{
    /// <summary>
    /// This input with the batch's spend settings: <paramref name="standardSpend"/> false forbids standard pool members;
    /// <paramref name="deadline"/> (<see cref="Planning.BatchDeadline"/>, already checked) counts from <see cref="CreatedAt"/>.
    /// </summary>
    public BatchInput WithSpend(bool? standardSpend, string? deadline)
        => this with
        {
            AllowStandard = standardSpend ?? true,
            Deadline = Planning.BatchDeadline.TryParse(deadline, DateTimeOffset.FromUnixTimeSeconds(CreatedAt), out var at) ? at.ToUnixTimeSeconds() : null,
        };
}

/// <summary>Where a batch orchestration that continued as new picks up: the next chunk to start and the counts so far.</summary>
public sealed record ChunkResume(int NextChunk, BatchCounts Counts);

/// <summary>What a retry batch (<c>POST /api/batches/{id}/retry</c>) merges its answers into.</summary>
/// <param name="Of">The batch whose failed lines this batch runs again.</param>
/// <param name="BaseBlob">The output to merge into (in the output container): <c>{Of}/output.jsonl</c>, or <c>{Of}/merged.jsonl</c> when <c>Of</c> is itself a retry.</param>
public sealed record RetrySource(string Of, string BaseBlob);

/// <summary>
/// Input of one chunk sub-orchestration: a contiguous range of lines with its own window (its share of the cap).
/// <c>Cap</c> is the batch's whole <c>maxConcurrency</c>, passed on to each call for the activity's per-process gate
/// (<see cref="Activities.BatchCallGate"/>); 0 in inputs saved before it was sent along. <c>AllowStandard</c> false: its
/// calls may not go to standard (pay-as-you-go) pool members (<c>standardSpend=false</c>). <c>Cache</c>: the batch's
/// <c>cache</c> setting, passed on to each call (<see cref="Cache.ResponseCache"/>).
/// </summary>
public sealed record ChunkInput(string BatchId, string Deployment, int ChunkSize, int Chunk, int Start, int Count, int Window, int MaxDurableRetries = OpenAIOptions.DefaultMaxDurableRetries, long? TokenBudget = null, int Cap = 0, bool AllowStandard = true, bool Cache = false);

/// <summary>Input of <c>PromptActivity</c>: which line to run; the activity reads the line itself.</summary>
/// <param name="BatchId">The batch.</param>
/// <param name="Index">The line.</param>
/// <param name="ChunkSize">Lines per prepared chunk (to find the line's chunk).</param>
/// <param name="Deployment">The batch's deployment (a line's own <c>model</c> wins).</param>
/// <param name="Attempt">Durable retries so far (timers after a throttle, a transient error or a failed activity).</param>
/// <param name="LastAttempt">The last durable retry: a transient model error now writes an error line.</param>
/// <param name="Failures">Times the activity itself failed through its retry policy (storage trouble, not the model).</param>
/// <param name="Cap">The batch's <c>maxConcurrency</c>: see <see cref="Activities.BatchCallGate"/>; 0 = not known (no gate).</param>
/// <param name="AllowStandard">False: the call may not go to standard (pay-as-you-go) pool members (<c>standardSpend=false</c>).</param>
/// <param name="Cache">The batch uses the response cache: see <see cref="Cache.ResponseCache"/>.</param>
public sealed record PromptWorkItem(string BatchId, int Index, int ChunkSize, string Deployment, int Attempt = 0, bool LastAttempt = false, int Failures = 0, int Cap = 0, bool AllowStandard = true, bool Cache = false);

/// <summary>What one prompt activity reports back: small, counts only.</summary>
/// <param name="Index">The line.</param>
/// <param name="Succeeded">The model answered 2xx.</param>
/// <param name="ErrorCode">The error line's code, when one was written.</param>
/// <param name="PromptTokens">Prompt tokens of the answer.</param>
/// <param name="CompletionTokens">Completion tokens of the answer.</param>
/// <param name="RetryAfterMs">When positive, nothing was written and the line should run again after this wait.</param>
/// <param name="Throttled">The outcome was a 429 (from the service, or from the deployment's closed throttle gate).</param>
/// <param name="Deferred">
/// The call was not sent because this process's throttle gate for the deployment was closed by an earlier 429: the wait
/// is honoured like a 429's, but it is not a new congestion signal (the 429 that closed the gate was one already).
/// </param>
/// <param name="ByDeployment">The calls this attempt made, per pool member; null when none were made.</param>
/// <param name="InvalidOutputs">Answers this attempt rejected as invalid against the line's format (each was asked again or failed the line).</param>
/// <param name="Cached">Answered from the response cache or a twin line: no call, no tokens spent by this batch.</param>
public sealed record PromptOutcome(
    int Index,
    bool Succeeded,
    string? ErrorCode = null,
    int PromptTokens = 0,
    int CompletionTokens = 0,
    int RetryAfterMs = 0,
    bool Throttled = false,
    bool Deferred = false,
    IReadOnlyDictionary<string, DeploymentUsage>? ByDeployment = null,
    int InvalidOutputs = 0,
    bool Cached = false)
{
    /// <summary>True when the activity wrote nothing and asks to be run again after <see cref="RetryAfterMs"/>.</summary>
    public bool WantsRetry => RetryAfterMs > 0;
}

/// <summary>Counters shared by chunk and batch results.</summary>
/// <param name="Completed">Lines answered.</param>
/// <param name="Failed">Lines failed.</param>
/// <param name="PromptTokens">Prompt tokens.</param>
/// <param name="CompletionTokens">Completion tokens.</param>
/// <param name="Throttled">Outcomes that were 429s.</param>
/// <param name="Retries">Durable retries.</param>
/// <param name="ByDeployment">Calls, tokens and 429s per pool member, as the orchestrations counted them (<c>usage_by_deployment</c>).</param>
/// <param name="InvalidOutputs">Answers rejected as invalid against their line's format (<c>progress.invalid_outputs</c>).</param>
/// <param name="Cached">Lines answered from the response cache or a twin (also counted in <paramref name="Completed"/>; their tokens are not).</param>
public sealed record BatchCounts(
    int Completed = 0, int Failed = 0, long PromptTokens = 0, long CompletionTokens = 0, int Throttled = 0, int Retries = 0,
    IReadOnlyDictionary<string, DeploymentUsage>? ByDeployment = null, int InvalidOutputs = 0, int Cached = 0)
{
    /// <summary>Adds one outcome.</summary>
    public BatchCounts Add(PromptOutcome o) => o.WantsRetry
        ? this with { Throttled = Throttled + (o.Throttled ? 1 : 0), Retries = Retries + 1, ByDeployment = DeploymentUsage.Merge(ByDeployment, o.ByDeployment), InvalidOutputs = InvalidOutputs + o.InvalidOutputs }
        : this with
        {
            InvalidOutputs = InvalidOutputs + o.InvalidOutputs,
            ByDeployment = DeploymentUsage.Merge(ByDeployment, o.ByDeployment),
            Completed = Completed + (o.Succeeded ? 1 : 0),
            Failed = Failed + (o.Succeeded ? 0 : 1),
            PromptTokens = PromptTokens + o.PromptTokens,
            CompletionTokens = CompletionTokens + o.CompletionTokens,
            Throttled = Throttled + (o.Throttled ? 1 : 0),
            Cached = Cached + (o.Cached ? 1 : 0),
        };

    /// <summary>Sum of two counters.</summary>
    public BatchCounts Add(BatchCounts o) => new(
        Completed + o.Completed, Failed + o.Failed, PromptTokens + o.PromptTokens, CompletionTokens + o.CompletionTokens, Throttled + o.Throttled, Retries + o.Retries,
        DeploymentUsage.Merge(ByDeployment, o.ByDeployment), InvalidOutputs + o.InvalidOutputs, Cached + o.Cached);
}

/// <summary>Custom status of a running batch or chunk orchestration.</summary>
public sealed record BatchProgress(string State, int Total, BatchCounts Counts, int Window, IReadOnlyList<int>? RunningChunks = null);

/// <summary>Output of a batch orchestration; <c>BudgetExceeded</c>: the token budget was used up, so unsent lines end <c>budget_exceeded</c>.</summary>
public sealed record BatchResult(string Status, int Total, BatchCounts Counts, long CompletedAt, string? ErrorCode = null, string? ErrorMessage = null, bool BudgetExceeded = false);

/// <summary>Input of the finalize activity.</summary>
public sealed record FinalizeInput(BatchInput Batch, PreparedBatch Prepared, BatchResult Result);

/// <summary>Input of the result check that runs before finalize.</summary>
public sealed record ResultCheckInput(string BatchId, PreparedBatch Prepared);

/// <summary>What storage holds for a batch: the lines with no stored result, and the counts of those stored.</summary>
/// <param name="Missing">Lines without a result line in any segment, in input order.</param>
/// <param name="Stored">Counts of the stored result lines (answers, errors, usage); throttling counters stay zero.</param>
public sealed record ResultCheck(IReadOnlyList<int> Missing, BatchCounts Stored);

/// <summary>Input of the prepare activity (blob drop, or an uploaded OpenAI file whose lines must match <c>Endpoint</c>).</summary>
public sealed record PrepareInput(string BatchId, BatchSource Source, int ChunkSize, string? Endpoint = null);
