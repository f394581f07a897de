using System.Text.Json;
using Fanout.Core.Cost;
using Fanout.Core.Models;
using Fanout.Core.Storage;
using Fanout.Core.Watching;
using Microsoft.DurableTask.Client;

namespace Fanout.Core.Api;

/// <summary>Builds batch objects from orchestration state.</summary>
public static class BatchObjects
{
    /// <summary>snake_case, nulls written (<c>completed_at: null</c> is part of the contract).</summary>
    public static readonly JsonSerializerOptions Json = Service.ServiceJson.Options;

    /// <summary>How a host marks the termination of a batch whose orchestration kept failing.</summary>
    public const string PoisonReasonPrefix = "orchestration_failed_repeatedly: ";

    /// <summary>UTF-8 JSON of a batch object.</summary>
    public static byte[] Serialize(BatchObject batch) => JsonSerializer.SerializeToUtf8Bytes(batch, Json);

    /// <summary>The object of a finished batch.</summary>
    public static BatchObject FromResult(BatchInput input, BatchResult result, BatchStore store)
        => BatchObject.Finished(input, result, store.OutputBlobPath(input.BatchId), store.ErrorBlobPath(input.BatchId));

    /// <summary>The object of a batch in any state, summing the counts of running chunk orchestrations.</summary>
    public static async Task<BatchObject> FromMetadataAsync(OrchestrationMetadata meta, DurableTaskClient client, BatchStore store, CancellationToken cancellationToken)
    {
        var input = meta.ReadInputAs<BatchInput>() ?? throw new InvalidOperationException($"Instance {meta.InstanceId} has no batch input.");
        switch (meta.RuntimeStatus)
        {
            case OrchestrationRuntimeStatus.Completed:
                var result = meta.ReadOutputAs<BatchResult>()!;
                var done = await store.ReadAttemptTotalsAsync(input.BatchId, cancellationToken).ConfigureAwait(false);
                result = result with { Counts = result.Counts with { ByDeployment = done, Throttled = Activities.BatchActivities.RateLimited(done) } };
                return FromResult(input, result, store) with { Progress = BatchRates.Finished(input.BatchId, result.Counts.Throttled, result.Counts.Retries) with { InvalidOutputs = result.Counts.InvalidOutputs } };
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

        // Calls, 429s and failures: the attempt journals of every process, the same figures the finished batch reports.
        var attempts = await store.ReadAttemptTotalsAsync(input.BatchId, cancellationToken).ConfigureAwait(false);
        counts = counts with { ByDeployment = attempts, Throttled = Activities.BatchActivities.RateLimited(attempts) };
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
            new RequestCounts(total, counts.Completed, counts.Failed, counts.Cached),
            new Usage(counts.PromptTokens, counts.CompletionTokens),
            store.OutputBlobPath(input.BatchId),
            store.ErrorBlobPath(input.BatchId),
            input.Metadata ?? new Dictionary<string, string>(),
            progress?.Window is > 0 ? progress.Window : null,
            MaxTotalTokens: input.MaxTotalTokens,
            Progress: live with { InvalidOutputs = counts.InvalidOutputs },
            UsageByDeployment: counts.ByDeployment ?? new Dictionary<string, DeploymentUsage>(),
            Cost: BatchCost.Of(input.Pricing, counts.ByDeployment),
            LinesByTier: LinesByTier.Of(counts.ByDeployment, counts.Cached));
    }

    private static string? TerminationReason(OrchestrationMetadata meta)
    {
        // Terminated, or failed by the portable host's poison bound: the reason is the output, a JSON string.
        if (meta.RuntimeStatus is not (OrchestrationRuntimeStatus.Terminated or OrchestrationRuntimeStatus.Failed) || string.IsNullOrEmpty(meta.SerializedOutput))
        {
            return null;
        }

        try
        {
            return meta.ReadOutputAs<string>();
        }
        catch (JsonException)
        {
            return meta.SerializedOutput;
        }
    }
}
