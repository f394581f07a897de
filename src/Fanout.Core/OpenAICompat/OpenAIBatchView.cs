using Fanout.Core.Api;
using Fanout.Core.Cost;
using Fanout.Core.Jsonl;
using Fanout.Core.Models;
using Fanout.Core.Storage;
using Microsoft.DurableTask.Client;

namespace Fanout.Core.OpenAICompat;

/// <summary>A batch of the store as OpenAI's batch object: the native batch object, mapped, with its output and error files named once it has finished.</summary>
public sealed class OpenAIBatchView(BatchStore store, OpenAIBatchOutputFiles outputs, OpenAIBatchRecords records)
{
    /// <summary>
    /// Maps a native batch object to OpenAI's. Statuses pass through, except that a running batch whose every line has
    /// a result is <c>finalizing</c> (its ordered output is being written).
    /// </summary>
    public static OpenAIBatchObject ToOpenAI(BatchInput input, BatchObject native, string? outputFileId, string? errorFileId)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(native);
        var counts = native.RequestCounts;
        var status = native.Status == BatchStatus.InProgress && counts.Total > 0 && counts.Completed + counts.Failed >= counts.Total
            ? "finalizing"
            : native.Status;
        var finishedAt = native.CompletedAt;
        return new OpenAIBatchObject
        {
            Id = native.Id,
            Endpoint = input.Endpoint ?? BatchEndpoints.ChatCompletions,
            CompletionWindow = Window(input),
            Errors = native.Error is { } e ? new OpenAIBatchErrors([new OpenAIBatchError(e.Code, e.Message)]) : null,
            InputFileId = input.Source?.BlobName is { } name && name.StartsWith("file-", StringComparison.Ordinal) ? name : null,
            Status = status,
            OutputFileId = outputFileId,
            ErrorFileId = errorFileId,
            CreatedAt = native.CreatedAt,
            InProgressAt = status is BatchStatus.Validating || (status is BatchStatus.Failed && counts.Total == 0) ? null : native.CreatedAt,
            ExpiresAt = input.Deadline ?? native.CreatedAt + (24 * 3600),
            CompletedAt = status == BatchStatus.Completed ? finishedAt : null,
            FailedAt = status == BatchStatus.Failed ? finishedAt : null,
            CancelledAt = status == BatchStatus.Cancelled ? finishedAt : null,
            RequestCounts = counts,
            Metadata = native.Metadata,
            Usage = new OpenAIBatchUsage(native.Usage.PromptTokens, native.Usage.CompletionTokens),
            MaxConcurrency = native.MaxConcurrency,
            MaxTotalTokens = native.MaxTotalTokens,
            Cost = native.Cost,
            LinesByTier = native.LinesByTier,
        };
    }

    /// <summary>The batch's deadline as a completion window (<c>24h</c>, <c>90m</c>); 24h without one.</summary>
    private static string Window(BatchInput input)
    {
        var seconds = input.Deadline is { } deadline ? deadline - input.CreatedAt : 24 * 3600;
        return seconds > 0 && seconds % 3600 == 0 ? $"{seconds / 3600}h" : $"{Math.Max(1, seconds / 60)}m";
    }

    /// <summary>The batch of <paramref name="meta"/> as OpenAI's batch object.</summary>
    public async Task<OpenAIBatchObject> ReadAsync(OrchestrationMetadata meta, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(meta);
        var input = meta.ReadInputAs<BatchInput>() ?? throw new InvalidOperationException($"Instance {meta.InstanceId} has no batch input.");
        var native = await BatchObjects.FromMetadataAsync(meta, client, store, cancellationToken).ConfigureAwait(false);
        return await WithFilesAsync(input, native, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A finished batch whose orchestration history was purged (<c>Fanout:Durable:HistoryRetention</c>), from its
    /// <c>batch.json</c> and the input file and endpoint recorded at create; null when it has no <c>batch.json</c>.
    /// </summary>
    public async Task<OpenAIBatchObject?> ReadKeptAsync(string batchId, CancellationToken cancellationToken)
    {
        if (await BatchRecords.TryReadAsync(store, batchId, cancellationToken).ConfigureAwait(false) is not { } native)
        {
            return null;
        }

        var (fileId, endpoint) = await records.ReadOriginAsync(batchId, cancellationToken).ConfigureAwait(false);
        var input = new BatchInput(batchId, native.Deployment, native.MaxConcurrency, native.CreatedAt,
            Source: fileId is null ? null : new BatchSource(string.Empty, fileId), Metadata: native.Metadata, Endpoint: endpoint, MaxTotalTokens: native.MaxTotalTokens);
        return await WithFilesAsync(input, native, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether a batch has a <c>batch.json</c> (it finished; its history may be purged).</summary>
    public Task<bool> IsKeptAsync(string batchId, CancellationToken cancellationToken)
        => BatchRecords.ExistsAsync(store, batchId, cancellationToken);

    private async Task<OpenAIBatchObject> WithFilesAsync(BatchInput input, BatchObject native, CancellationToken cancellationToken)
    {
        string? outputId = null;
        string? errorId = null;
        if (native.Status is BatchStatus.Completed or BatchStatus.Cancelled
            && await outputs.SizesAsync(native.Id, cancellationToken).ConfigureAwait(false) is { } sizes)
        {
            // As in OpenAI, a file is named only when it has lines.
            outputId = sizes.Output > 0 ? OpenAIFileIds.BatchFileId(native.Id, errors: false) : null;
            errorId = sizes.Errors > 0 ? OpenAIFileIds.BatchFileId(native.Id, errors: true) : null;
        }

        return ToOpenAI(input, native, outputId, errorId);
    }

    /// <summary>The batch object a create answers when the orchestration cannot be read back yet: validating, nothing counted.</summary>
    public OpenAIBatchObject Scheduled(BatchInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var native = new BatchObject(input.BatchId, BatchStatus.Validating, input.CreatedAt, null, input.MaxConcurrency, input.Deployment,
            new RequestCounts(0, 0, 0), new Usage(0, 0), store.OutputBlobPath(input.BatchId), store.ErrorBlobPath(input.BatchId),
            input.Metadata ?? new Dictionary<string, string>(), MaxTotalTokens: input.MaxTotalTokens,
            Cost: BatchCost.Of(input.Pricing, null), LinesByTier: new LinesByTier());
        return ToOpenAI(input, native, null, null);
    }
}
