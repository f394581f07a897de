using Azure;
using Fanout.Core.Estimates;
using Fanout.Core.Jsonl;
using Fanout.Core.Models;
using Fanout.Core.Options;
using Fanout.Core.Service;
using Fanout.Core.Storage;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fanout.Core.Api;

/// <summary>Submit (from JSONL lines or a list of prompts) and its dry run, the estimate. No transport types.</summary>
public sealed partial class BatchSubmitService(
    BatchStarter starter,
    BatchPreparer preparer,
    BatchStore store,
    SubmitRules rules,
    BatchEstimator estimator,
    IOptions<BatchOptions> batchOptions,
    SubmitAdmission admission,
    ILogger<BatchSubmitService> logger)
{
    /// <summary><c>POST /api/batches</c>: validates and stores the lines, starts the batch (once per Idempotency-Key).</summary>
    public async Task<ServiceResult<SubmitReply>> SubmitAsync(SubmitRequest request, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var o = batchOptions.Value;
        if (request.ContentLength > o.MaxBytes)
        {
            return TooLarge($"The body is {request.ContentLength} bytes; the limit is {o.MaxBytes} bytes.");
        }

        var query = SubmitOptionsQuery.Read(request.Query, rules);
        if (!query.IsSuccess)
        {
            return query.Error;
        }

        if (BatchIds.CheckIdempotencyKey(request.IdempotencyKey) is { } keyError)
        {
            return keyError;
        }

        // A replay of a submit answers with its batch before the body is read.
        if (!query.Value.DryRun && await FindExistingAsync(request.IdempotencyKey, client, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return existing;
        }

        var body = new LimitedReadStream(request.Body, o.MaxBytes);
        if (request.Format == SubmitFormat.Jsonl)
        {
            return await RunAsync(body, query.Value, request.IdempotencyKey, metadata: null, client, cancellationToken).ConfigureAwait(false);
        }

        ServiceResult<PromptsSubmission> form;
        try
        {
            form = await PromptsSubmission.ReadAsync(body, rules, o.MaxLines, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is BatchLimitExceededException or BodyTooLargeException)
        {
            return TooLarge(e);
        }

        return form.IsSuccess
            ? await RunAsync(form.Value, query.Value, request.IdempotencyKey, client, cancellationToken).ConfigureAwait(false)
            : form.Error;
    }

    /// <summary>Submits a list of prompts; its own settings win over <paramref name="query"/>'s.</summary>
    public async Task<ServiceResult<SubmitReply>> SubmitPromptsAsync(PromptsSubmission prompts, SubmitQuery query, string? idempotencyKey, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (BatchIds.CheckIdempotencyKey(idempotencyKey) is { } keyError)
        {
            return keyError;
        }

        return !query.DryRun && await FindExistingAsync(idempotencyKey, client, cancellationToken).ConfigureAwait(false) is { } existing
            ? existing
            : await RunAsync(prompts, query, idempotencyKey, client, cancellationToken).ConfigureAwait(false);
    }

    private Task<ServiceResult<SubmitReply>> RunAsync(PromptsSubmission prompts, SubmitQuery query, string? idempotencyKey, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var settings = query with
        {
            Deployment = prompts.Deployment ?? query.Deployment,
            MaxConcurrency = prompts.MaxConcurrency ?? query.MaxConcurrency,
            MaxTotalTokens = prompts.MaxTotalTokens ?? query.MaxTotalTokens,
            StandardSpend = prompts.StandardSpend ?? query.StandardSpend,
            Deadline = prompts.Deadline ?? query.Deadline,
            Cache = prompts.Cache ?? query.Cache,
        };
        return RunAsync(prompts.ToLines(), settings, idempotencyKey, prompts.Metadata, client, cancellationToken);
    }

    private async Task<ServiceResult<SubmitReply>> RunAsync(
        Stream lines, SubmitQuery settings, string? idempotencyKey, IReadOnlyDictionary<string, string>? metadata, DurableTaskClient client, CancellationToken cancellationToken)
    {
        try
        {
            if (settings.DryRun)
            {
                var now = starter.Now;
                TimeSpan? deadlineIn = Planning.BatchDeadline.TryParse(settings.Deadline, now, out var deadline) ? deadline - now : null;
                var estimate = await estimator.EstimateAsync(lines, settings.Deployment ?? starter.DefaultDeployment, settings.Cache ?? starter.DefaultCache, cancellationToken, deadlineIn).ConfigureAwait(false);
                return estimate.Lines == 0 ? EmptyBatch() : new SubmitReply(null, estimate);
            }

            // The store takes a bounded number of submits at once; past that, 503 before anything is stored.
            var turn = await admission.EnterAsync(cancellationToken).ConfigureAwait(false);
            if (!turn.IsSuccess)
            {
                return turn.Error;
            }

            using (turn.Value)
            {
                var batchId = idempotencyKey is null ? BatchIds.New() : BatchIds.Idempotent(idempotencyKey);
                PreparedBatch prepared;
                try
                {
                    prepared = await preparer.PrepareAsync(batchId, lines, batchOptions.Value.ChunkSize, cancellationToken).ConfigureAwait(false);
                }
                catch (RequestFailedException e) when (!cancellationToken.IsCancellationRequested)
                {
                    // Nothing is scheduled: no batch exists, the client may send again.
                    LogStoreFailed(logger, e, batchId);
                    return admission.Busy("storage did not answer");
                }

                if (prepared.Total == 0)
                {
                    return EmptyBatch();
                }

                var input = starter.NewInput(batchId, settings.Deployment, settings.MaxConcurrency, prepared, metadata: metadata, maxTotalTokens: settings.MaxTotalTokens, cache: settings.Cache)
                    .WithSpend(settings.StandardSpend, settings.Deadline);
                var batch = await starter.StartAndDescribeAsync(client, input, prepared.Total, cancellationToken).ConfigureAwait(false);
                LogSubmitted(logger, batchId, prepared.Total, prepared.Invalid, input.MaxConcurrency);
                return new SubmitReply(batch, null);
            }
        }
        catch (Exception e) when (e is BatchLimitExceededException or BodyTooLargeException)
        {
            return TooLarge(e);
        }
        catch (BatchNotStartedException e)
        {
            LogStoreFailed(logger, e, e.BatchId);
            return admission.NotStarted(e);
        }
    }

    private async Task<SubmitReply?> FindExistingAsync(string? idempotencyKey, DurableTaskClient client, CancellationToken cancellationToken)
    {
        if (idempotencyKey is null)
        {
            return null;
        }

        var id = BatchIds.Idempotent(idempotencyKey);
        if (await client.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return new SubmitReply(await starter.DescribeAsync(existing, client, cancellationToken).ConfigureAwait(false), null);
        }

        // Finished, its history purged (Fanout:Durable:HistoryRetention): the same key still names the same batch.
        return await BatchRecords.TryReadAsync(store, id, cancellationToken).ConfigureAwait(false) is { } record ? new SubmitReply(record, null) : null;
    }

    private static ServiceError EmptyBatch() => ServiceError.Invalid("empty_batch", "The batch has no lines.");

    private ServiceError TooLarge(Exception e) => TooLarge(e is BodyTooLargeException
        ? $"The body exceeds the server's request size limit ({batchOptions.Value.MaxBytes} bytes)."
        : e.Message);

    private static ServiceError TooLarge(string message) => ServiceError.TooLarge("batch_too_large", message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Submit of batch {BatchId}: storage failed before the batch was scheduled; answering 503")]
    private static partial void LogStoreFailed(ILogger logger, Exception exception, string batchId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {BatchId} submitted: {Total} lines ({Invalid} invalid), cap {Cap}")]
    private static partial void LogSubmitted(ILogger logger, string batchId, int total, int invalid, int cap);
}
