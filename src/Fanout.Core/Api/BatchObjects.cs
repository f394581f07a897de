using System.Text.Json;
using Fanout.Core.Models;
using Fanout.Core.Storage;
using Fanout.Core.Watching;
using Microsoft.DurableTask.Client;

namespace Fanout.Core.Api;

/// <summary>The public batch object of API.md.</summary>
public sealed record BatchObject(
    string Id,
    string Status,
    long CreatedAt,
    long? CompletedAt,
    int MaxConcurrency,
    string Deployment,
    RequestCounts RequestCounts,
    Usage Usage,
    string OutputBlob,
    string ErrorBlob,
    IReadOnlyDictionary<string, string> Metadata,
    int? CurrentConcurrency = null,
    ApiError? Error = null,
    long? MaxTotalTokens = null,
    LiveProgress? Progress = null,
    IReadOnlyDictionary<string, DeploymentUsage>? UsageByDeployment = null)
{
    /// <summary>Always "batch".</summary>
    public string Object => "batch";
}

/// <summary>Line counts of a batch.</summary>
public sealed record RequestCounts(int Total, int Completed, int Failed);

/// <summary>Token usage of a batch.</summary>
public sealed record Usage(long PromptTokens, long CompletionTokens)
{
    /// <summary>Prompt + completion tokens.</summary>
    public long TotalTokens => PromptTokens + CompletionTokens;
}

/// <summary>An error object: <c>{"code": "…", "message": "…"}</c>.</summary>
public sealed record ApiError(string Code, string Message);

/// <summary>Builds batch objects from orchestration state.</summary>
public static class BatchObjects
{
    /// <summary>snake_case, nulls written (<c>completed_at: null</c> is part of the contract).</summary>
    public static readonly JsonSerializerOptions Json = Service.ServiceJson.Options;

    private static readonly IReadOnlyDictionary<string, DeploymentUsage> NoUsage = new Dictionary<string, DeploymentUsage>();

    /// <summary>UTF-8 JSON of a batch object.</summary>
    public static byte[] Serialize(BatchObject batch) => JsonSerializer.SerializeToUtf8Bytes(batch, Json);

    /// <summary>How a host marks the termination of a batch whose orchestration kept failing.</summary>
    public const string PoisonReasonPrefix = "orchestration_failed_repeatedly: ";

    /// <summary>The object of a finished batch.</summary>
    public static BatchObject FromResult(BatchInput input, BatchResult result, BatchStore store) => new(
        input.BatchId,
        result.Status,
        input.CreatedAt,
        result.CompletedAt,
        input.MaxConcurrency,
        input.Deployment,
        new RequestCounts(result.Total, result.Counts.Completed, result.Counts.Failed),
        new Usage(result.Counts.PromptTokens, result.Counts.CompletionTokens),
        store.OutputBlobPath(input.BatchId),
        store.ErrorBlobPath(input.BatchId),
        input.Metadata ?? new Dictionary<string, string>(),
        null,
        result.ErrorCode is null ? null : new ApiError(result.ErrorCode, result.ErrorMessage ?? result.ErrorCode),
        input.MaxTotalTokens,
        UsageByDeployment: result.Counts.ByDeployment ?? NoUsage);

    /// <summary>The object of a batch in any state, summing the counts of running chunk orchestrations.</summary>
    public static async Task<BatchObject> FromMetadataAsync(OrchestrationMetadata meta, DurableTaskClient client, BatchStore store, CancellationToken cancellationToken)
    {
        var input = meta.ReadInputAs<BatchInput>() ?? throw new InvalidOperationException($"Instance {meta.InstanceId} has no batch input.");
        switch (meta.RuntimeStatus)
        {
            case OrchestrationRuntimeStatus.Completed:
                var result = meta.ReadOutputAs<BatchResult>()!;
                return FromResult(input, result, store) with { Progress = BatchRates.Finished(input.BatchId, result.Counts.Throttled, result.Counts.Retries) };
            case OrchestrationRuntimeStatus.Failed:
            case OrchestrationRuntimeStatus.Terminated:
                var message = meta.FailureDetails?.ErrorMessage ?? TerminationReason(meta) ?? "The batch orchestration ended without finishing.";
                var code = "batch_failed";
                if (message.StartsWith(PoisonReasonPrefix, StringComparison.Ordinal))
                {
                    // The host gave up on an orchestration that kept failing at every start (Fanout:Durable:MaxEpisodeAttempts).
                    code = PoisonReasonPrefix[..^2];
                    message = "The batch " + message[PoisonReasonPrefix.Length..];
                }

                return FromResult(input, new BatchResult(BatchStatus.Failed, input.Prepared?.Total ?? 0, new BatchCounts(), meta.LastUpdatedAt.ToUnixTimeSeconds(), code, message), store);
        }

        var progress = meta.ReadCustomStatusAs<BatchProgress>();
        var counts = progress?.Counts ?? new BatchCounts();
        if (progress?.RunningChunks is { Count: > 0 } chunks)
        {
            var children = await Task.WhenAll(chunks.Select(c => client.GetInstanceAsync(
                Orchestrations.BatchOrchestrator.ChunkInstanceId(input.BatchId, c), getInputsAndOutputs: true, cancellationToken))).ConfigureAwait(false);
            foreach (var child in children)
            {
                if (child?.ReadCustomStatusAs<BatchProgress>() is { } p)
                {
                    counts = counts.Add(p.Counts);
                }
            }
        }

        var status = progress?.State ?? (input.Prepared is null ? BatchStatus.Validating : BatchStatus.InProgress);
        var total = progress?.Total is > 0 ? progress.Total : input.Prepared?.Total ?? 0;
        var live = BatchRates.Observe(input.BatchId, DateTimeOffset.UtcNow, DateTimeOffset.FromUnixTimeSeconds(input.CreatedAt), total,
            counts.Completed + counts.Failed, counts.PromptTokens + counts.CompletionTokens, counts.Throttled, counts.Retries);
        return new BatchObject(
            input.BatchId,
            status,
            input.CreatedAt,
            null,
            input.MaxConcurrency,
            input.Deployment,
            new RequestCounts(total, counts.Completed, counts.Failed),
            new Usage(counts.PromptTokens, counts.CompletionTokens),
            store.OutputBlobPath(input.BatchId),
            store.ErrorBlobPath(input.BatchId),
            input.Metadata ?? new Dictionary<string, string>(),
            progress?.Window is > 0 ? progress.Window : null,
            MaxTotalTokens: input.MaxTotalTokens,
            Progress: live,
            UsageByDeployment: counts.ByDeployment ?? NoUsage);
    }

    private static string? TerminationReason(OrchestrationMetadata meta)
    {
        if (meta.RuntimeStatus != OrchestrationRuntimeStatus.Terminated || string.IsNullOrEmpty(meta.SerializedOutput))
        {
            return null;
        }

        try
        {
            return meta.ReadOutputAs<string>();
        }
        catch (System.Text.Json.JsonException)
        {
            return meta.SerializedOutput;
        }
    }
}
