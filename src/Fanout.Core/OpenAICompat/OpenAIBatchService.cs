using Azure;
using Fanout.Core.Api;
using Fanout.Core.Jsonl;
using Fanout.Core.Models;
using Fanout.Core.Options;
using Fanout.Core.Orchestrations;
using Fanout.Core.Service;
using Fanout.Core.Storage;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fanout.Core.OpenAICompat;

/// <summary>
/// The Batches half of the OpenAI-compatible surface (API.md), transport-free: create, get, list and cancel. It is a
/// mapping over the one batch store: a batch made here is the batch of <c>/api/batches/{id}</c>.
/// </summary>
public sealed partial class OpenAIBatchService(
    OpenAIFileStore files,
    OpenAIBatchRecords records,
    OpenAIBatchView view,
    IOptions<BatchOptions> batchOptions,
    IOptions<OpenAIOptions> openAIOptions,
    TimeProvider time,
    ILogger<OpenAIBatchService> logger,
    BatchStarter starter,
    SubmitAdmission admission,
    OpenAIFilesContainer container,
    Estimates.EstimateSettings? pricing = null,
    IOptions<Cache.CacheOptions>? cacheOptions = null)
{
    /// <summary>
    /// <c>POST /v1/batches</c> <c>{"input_file_id", "endpoint", "completion_window", "metadata"?, "max_concurrency"?, "max_total_tokens"?, "cache"?}</c>.
    /// <paramref name="json"/> is null when the body is not <c>application/json</c> (415).
    /// </summary>
    public async Task<ServiceResult<OpenAIBatchObject>> CreateAsync(Stream? json, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (json is null)
        {
            return OpenAIErrors.CreateNotJson();
        }

        var read = await CreateBatchRequest.ReadAsync(json, batchOptions.Value.MaxConcurrencyLimit, cancellationToken).ConfigureAwait(false);
        if (!read.IsSuccess)
        {
            return read.Error;
        }

        var form = read.Value;
        if (await files.GetAsync(form.InputFileId, cancellationToken).ConfigureAwait(false) is not { Purpose: OpenAIFileIds.BatchPurpose })
        {
            return InputFileNotFound(form.InputFileId);
        }

        // The store takes a bounded number of creates at once; past that, 503 before anything is stored.
        var turn = await admission.EnterAsync(cancellationToken).ConfigureAwait(false);
        if (!turn.IsSuccess)
        {
            return turn.Error;
        }

        using (turn.Value)
        {
            var input = ToInput(form, time.GetUtcNow());
            try
            {
                // The use first, then the claim (a conditional write on the file): a delete either sees the use and
                // answers 409, or deletes the file before the claim, which then finds no file (OpenAIFileService.DeleteAsync).
                await records.RecordBatchAsync(input.BatchId, form.InputFileId, form.Endpoint, cancellationToken).ConfigureAwait(false);
                if (!await files.ClaimAsync(form.InputFileId, input.BatchId, cancellationToken).ConfigureAwait(false))
                {
                    await records.ForgetBatchAsync(input.BatchId, form.InputFileId, CancellationToken.None).ConfigureAwait(false);
                    return InputFileNotFound(form.InputFileId);
                }

                await starter.StartAsync(client, input, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (!cancellationToken.IsCancellationRequested)
            {
                LogCreateFailed(logger, e, input.BatchId);
                return admission.Busy("storage did not answer");
            }
            catch (BatchNotStartedException e)
            {
                LogCreateFailed(logger, e, input.BatchId);
                return admission.NotStarted(e);
            }

            LogBatchCreated(logger, input.BatchId, form.InputFileId, form.Endpoint);
            try
            {
                var meta = await client.GetInstanceAsync(input.BatchId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
                return meta is null ? view.Scheduled(input) : await view.ReadAsync(meta, client, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                // Created: a failed read of it must not turn the answer into an error.
                LogCreateFailed(logger, e, input.BatchId);
                return view.Scheduled(input);
            }
        }
    }

    private static ServiceError InputFileNotFound(string fileId) =>
        ServiceError.NotFound("file_not_found", $"No input file '{fileId}' of purpose \"batch\"; upload it to /v1/files first.");

    /// <summary>
    /// <c>GET /v1/batches/{id}</c>: any batch of the store, also one submitted to <c>/api/batches</c>, and a finished
    /// one whose history was purged (from its <c>batch.json</c>).
    /// </summary>
    public async Task<ServiceResult<OpenAIBatchObject>> GetAsync(string id, DurableTaskClient client, CancellationToken cancellationToken)
    {
        if (await FindAsync(id, client, cancellationToken).ConfigureAwait(false) is { } meta)
        {
            return await view.ReadAsync(meta, client, cancellationToken).ConfigureAwait(false);
        }

        return BatchIds.IsValid(id) && await view.ReadKeptAsync(id, cancellationToken).ConfigureAwait(false) is { } kept
            ? kept
            : OpenAIErrors.BatchNotFound(id);
    }

    /// <summary><c>GET /v1/batches?after=ID&amp;limit=N</c>: the batches made through <c>/v1/batches</c>, newest first.</summary>
    public async Task<ServiceResult<OpenAIList<OpenAIBatchObject>>> ListAsync(QueryArgs query, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(client);
        var limit = OpenAIListQuery.Limit(query, 20, 100);
        if (!limit.IsSuccess)
        {
            return limit.Error;
        }

        var after = OpenAIListQuery.Text(query, "after");
        if (after is not null && !BatchIds.IsValid(after))
        {
            return ServiceError.InvalidParameter("Query parameter 'after' must be a batch id.");
        }

        var (ids, hasMore) = await records.ListBatchesAsync(after, limit.Value, cancellationToken).ConfigureAwait(false);
        var metas = await Task.WhenAll(ids.Select(i => client.GetInstanceAsync(i, getInputsAndOutputs: true, cancellationToken))).ConfigureAwait(false);
        var data = new List<OpenAIBatchObject>();
        foreach (var (id, meta) in ids.Zip(metas))
        {
            if (meta is not null)
            {
                data.Add(await view.ReadAsync(meta, client, cancellationToken).ConfigureAwait(false));
            }
            else if (await view.ReadKeptAsync(id, cancellationToken).ConfigureAwait(false) is { } kept)
            {
                data.Add(kept); // finished, its history purged
            }
        }

        return new OpenAIList<OpenAIBatchObject>(data, data.FirstOrDefault()?.Id, data.LastOrDefault()?.Id, hasMore);
    }

    /// <summary><c>POST /v1/batches/{id}/cancel</c>: the batch object, <c>cancelling</c>; finished lines are kept in the output file.</summary>
    public async Task<ServiceResult<OpenAIBatchObject>> CancelAsync(string id, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var meta = await FindAsync(id, client, cancellationToken).ConfigureAwait(false);
        if (meta is null)
        {
            // A finished batch whose history was purged is still finished.
            return BatchIds.IsValid(id) && await view.IsKeptAsync(id, cancellationToken).ConfigureAwait(false)
                ? BatchLookup.AlreadyFinished(id)
                : OpenAIErrors.BatchNotFound(id);
        }

        if (BatchLookup.IsFinished(meta.RuntimeStatus))
        {
            return BatchLookup.AlreadyFinished(id);
        }

        await client.RaiseEventAsync(id, PromptWindow.CancelEvent, "cancel", cancellationToken).ConfigureAwait(false);
        var batch = await view.ReadAsync(meta, client, cancellationToken).ConfigureAwait(false);
        return batch with { Status = BatchStatus.Cancelling };
    }

    /// <summary>
    /// The batch orchestration of <paramref name="id"/>, or null: a malformed id is not found here (OpenAI answers 404
    /// for any unknown id, where <c>/api</c> answers 400 for a malformed one: <see cref="BatchLookup.FindAsync"/>).
    /// </summary>
    private static async Task<OrchestrationMetadata?> FindAsync(string id, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(client);
        var meta = BatchIds.IsValid(id) ? await client.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false) : null;
        return meta?.ReadInputAs<BatchInput>() is null ? null : meta;
    }

    /// <summary>The orchestration input of a create: the file is the source; an endpoint Fanout does not run fails the batch as a whole.</summary>
    private BatchInput ToInput(CreateBatchRequest form, DateTimeOffset now)
    {
        var o = batchOptions.Value;
        var supported = BatchEndpoints.IsSupported(form.Endpoint);
        return new BatchInput(
            OpenAIFileIds.NewBatchId(now),
            openAIOptions.Value.Deployment,
            form.MaxConcurrency ?? o.DefaultMaxConcurrency,
            now.ToUnixTimeSeconds(),
            Source: supported ? new BatchSource(container.Name, form.InputFileId) : null,
            Prepared: supported ? null : new PreparedBatch(0, 0, o.ChunkSize, "invalid_endpoint",
                $"endpoint '{form.Endpoint}' is not supported; use one of {string.Join(", ", BatchEndpoints.Supported)}."),
            Metadata: form.Metadata,
            ChunkSize: o.ChunkSize,
            MinChunkWindow: o.MinChunkWindow,
            MaxDurableRetries: openAIOptions.Value.MaxDurableRetries,
            MaxCallSeconds: openAIOptions.Value.MaxCallSeconds,
            Endpoint: form.Endpoint,
            MaxTotalTokens: form.MaxTotalTokens,
            Pricing: pricing?.Pricing(),
            Cache: form.Cache ?? cacheOptions?.Value.Default ?? false).WithSpend(form.StandardSpend, form.CompletionWindow ?? "24h");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Create of batch {BatchId}: storage failed")]
    private static partial void LogCreateFailed(ILogger logger, Exception exception, string batchId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {BatchId} created from file {FileId} for {Endpoint}")]
    private static partial void LogBatchCreated(ILogger logger, string batchId, string fileId, string endpoint);
}
