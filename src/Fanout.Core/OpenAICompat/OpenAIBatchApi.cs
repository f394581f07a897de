using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fanout.Core.Api;
using Fanout.Core.Jsonl;
using Fanout.Core.Models;
using Fanout.Core.Options;
using Fanout.Core.Orchestrations;
using Fanout.Core.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Fanout.Core.OpenAICompat;

/// <summary>
/// The OpenAI-compatible Files and Batches surface of API.md, host-agnostic like <see cref="BatchApi"/>: the portable
/// host maps it under <c>/v1</c> and <c>/openai</c>, the Functions app under <c>/api/v1</c> and <c>/api/openai</c>.
/// It is a mapping over the one batch store: a batch made here is the batch of <c>/api/batches/{id}</c>.
/// </summary>
public sealed partial class OpenAIBatchApi(
    OpenAIFileStore files,
    BatchStore store,
    IOptions<BatchOptions> batchOptions,
    IOptions<OpenAIOptions> openAIOptions,
    TimeProvider time,
    ILogger<OpenAIBatchApi> logger,
    IStorageFlush storageFlush)
{
    private const int MaxPurposeBytes = 64;
    private const string JsonlContentType = "application/jsonl; charset=utf-8";

    /// <summary><c>POST /v1/files</c> (multipart: <c>purpose=batch</c>, <c>file</c>): streams the file into storage, checking the limits as it goes.</summary>
    public async Task<IResult> UploadFileAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !string.Equals(mediaType.MediaType.Value, "multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 } boundary)
        {
            return BatchApi.Error(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", "Upload files as multipart/form-data with the fields 'purpose' (batch) and 'file'.");
        }

        var o = batchOptions.Value;
        var reader = new MultipartReader(boundary, new LimitedReadStream(request.Body, o.MaxBytes + (1024 * 1024)));
        string? purpose = null;
        OpenAIFileObject? file = null;
        try
        {
            while (await reader.ReadNextSectionAsync(cancellationToken).ConfigureAwait(false) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
                {
                    continue;
                }

                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value;
                if (name == "purpose")
                {
                    purpose = await ReadSmallTextAsync(section.Body, cancellationToken).ConfigureAwait(false);
                    if (purpose is not OpenAIFileStore.BatchPurpose)
                    {
                        break;
                    }
                }
                else if (name == "file" && file is null)
                {
                    var filename = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
                    filename = string.IsNullOrWhiteSpace(filename) ? "upload.jsonl" : Path.GetFileName(filename);
                    file = await files.UploadAsync(OpenAIFileStore.NewFileId(), filename, OpenAIFileStore.BatchPurpose, section.Body, o.MaxBytes, o.MaxLines, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await section.Body.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (BatchLimitExceededException e)
        {
            return BatchApi.Error(StatusCodes.Status413PayloadTooLarge, e.Code, $"The file is too large: {e.Message}.");
        }
        catch (Exception e) when (e is IOException or InvalidDataException && !cancellationToken.IsCancellationRequested)
        {
            // MultipartReader's complaints about a malformed body (unexpected end, headers or lines too long).
            await DeleteUploadedAsync(file, cancellationToken).ConfigureAwait(false);
            return BatchApi.Error(StatusCodes.Status400BadRequest, "invalid_body", $"The multipart body could not be read: {e.Message}");
        }

        if (purpose is not OpenAIFileStore.BatchPurpose)
        {
            await DeleteUploadedAsync(file, cancellationToken).ConfigureAwait(false);
            return BatchApi.Error(StatusCodes.Status400BadRequest, "invalid_parameter",
                purpose is null ? "The field 'purpose' is required and must be \"batch\"." : $"purpose '{purpose}' is not supported; Fanout stores files of purpose \"batch\".");
        }

        if (file is null)
        {
            return BatchApi.Error(StatusCodes.Status400BadRequest, "invalid_parameter", "The field 'file' (the JSONL input) is required.");
        }

        LogFileUploaded(logger, file.Id, file.Bytes);
        return Results.Json(file, BatchObjects.Json);
    }

    /// <summary><c>GET /v1/files?purpose=&amp;after=&amp;limit=&amp;order=</c>: newest first unless <c>order=asc</c>.</summary>
    public async Task<IResult> ListFilesAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (limit, limitError) = ReadLimit(request.Query, 10_000, 10_000);
        if (limitError is not null)
        {
            return limitError;
        }

        var order = request.Query["order"].ToString();
        if (order is not ("" or "asc" or "desc"))
        {
            return BatchApi.Error(StatusCodes.Status400BadRequest, "invalid_parameter", "Query parameter 'order' must be 'asc' or 'desc'.");
        }

        var purpose = request.Query["purpose"].ToString();
        var all = await files.ListAsync(purpose.Length == 0 ? null : purpose, cancellationToken).ConfigureAwait(false);
        if (order == "asc")
        {
            all.Reverse();
        }

        var after = request.Query["after"].ToString();
        var start = after.Length == 0 ? 0 : all.FindIndex(f => f.Id == after) + 1;
        var page = all.Skip(start).Take(limit).ToList();
        return Results.Json(new OpenAIList<OpenAIFileObject>(page, page.FirstOrDefault()?.Id, page.LastOrDefault()?.Id, start + page.Count < all.Count), BatchObjects.Json);
    }

    /// <summary><c>GET /v1/files/{id}</c>.</summary>
    public async Task<IResult> GetFileAsync(string id, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var (file, error) = await FindFileAsync(id, client, cancellationToken).ConfigureAwait(false);
        return error ?? Results.Json(file, BatchObjects.Json);
    }

    /// <summary><c>GET /v1/files/{id}/content</c>: the bytes, streamed.</summary>
    public async Task<IResult> GetFileContentAsync(string id, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var (file, error) = await FindFileAsync(id, client, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (file!.Purpose == OpenAIFileStore.BatchOutputPurpose && OpenAIFileStore.ParseBatchFileId(file.Id) is { } batchFile)
        {
            return Results.Stream(body => files.WriteBatchFileAsync(batchFile.BatchId, batchFile.Errors, body, cancellationToken), JsonlContentType);
        }

        var stream = await files.OpenReadAsync(file.Id, cancellationToken).ConfigureAwait(false);
        return stream is null ? FileNotFound(id) : Results.Stream(stream, JsonlContentType);
    }

    /// <summary><c>DELETE /v1/files/{id}</c>: 409 while a batch that reads the file runs.</summary>
    public async Task<IResult> DeleteFileAsync(string id, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (!IsFileId(id))
        {
            return FileNotFound(id);
        }

        foreach (var batchId in await files.BatchesUsingAsync(id, cancellationToken).ConfigureAwait(false))
        {
            if (await client.GetInstanceAsync(batchId, cancellationToken).ConfigureAwait(false) is { } meta && !IsFinished(meta.RuntimeStatus))
            {
                return BatchApi.Error(StatusCodes.Status409Conflict, "file_in_use", $"File {id} is the input of batch {batchId}, which is still running; cancel it or wait until it finishes.");
            }
        }

        if (await files.DeleteAsync(id, cancellationToken).ConfigureAwait(false))
        {
            return Results.Json(new OpenAIFileDeleted(id), BatchObjects.Json);
        }

        // A batch's output or error file: from now on it is not found; the batch's results under /api/batches stay.
        var (file, _) = await FindFileAsync(id, client, cancellationToken).ConfigureAwait(false);
        if (file is null)
        {
            return FileNotFound(id);
        }

        await files.DeleteBatchFileAsync(id, cancellationToken).ConfigureAwait(false);
        return Results.Json(new OpenAIFileDeleted(id), BatchObjects.Json);
    }

    /// <summary><c>POST /v1/batches</c> <c>{"input_file_id", "endpoint", "completion_window", "metadata"?, "max_concurrency"?, "max_total_tokens"?}</c>.</summary>
    public async Task<IResult> CreateBatchAsync(HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        var (form, formError) = await ReadCreateAsync(request, cancellationToken).ConfigureAwait(false);
        if (formError is not null)
        {
            return formError;
        }

        if (await files.GetAsync(form!.InputFileId, cancellationToken).ConfigureAwait(false) is not { Purpose: OpenAIFileStore.BatchPurpose })
        {
            return BatchApi.Error(StatusCodes.Status404NotFound, "file_not_found", $"No input file '{form.InputFileId}' of purpose \"batch\"; upload it to /v1/files first.");
        }

        var now = time.GetUtcNow();
        var batchId = OpenAIFileStore.NewBatchId(now);
        var o = batchOptions.Value;
        var supported = BatchEndpoints.IsSupported(form.Endpoint);
        var input = new BatchInput(
            batchId,
            openAIOptions.Value.Deployment,
            form.MaxConcurrency ?? o.DefaultMaxConcurrency,
            now.ToUnixTimeSeconds(),
            Source: supported ? new BatchSource(files.Container.Name, form.InputFileId) : null,
            // An endpoint Fanout does not run makes the file unusable as a whole: the batch fails with that error.
            Prepared: supported ? null : new PreparedBatch(0, 0, o.ChunkSize, "invalid_endpoint",
                $"endpoint '{form.Endpoint}' is not supported; use one of {string.Join(", ", BatchEndpoints.Supported)}."),
            Metadata: form.Metadata,
            ChunkSize: o.ChunkSize,
            MinChunkWindow: o.MinChunkWindow,
            MaxDurableRetries: openAIOptions.Value.MaxDurableRetries,
            MaxCallSeconds: openAIOptions.Value.MaxCallSeconds,
            Endpoint: form.Endpoint,
            MaxTotalTokens: form.MaxTotalTokens);
        await files.RecordBatchAsync(batchId, form.InputFileId, cancellationToken).ConfigureAwait(false);
        await client.ScheduleNewOrchestrationInstanceAsync(nameof(BatchOrchestrator), input, new StartOrchestrationOptions(batchId), cancellationToken).ConfigureAwait(false);
        await storageFlush.FlushAsync(cancellationToken).ConfigureAwait(false); // a created batch survives a power loss
        LogBatchCreated(logger, batchId, form.InputFileId, form.Endpoint);
        var meta = await client.GetInstanceAsync(batchId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
        var batch = meta is null
            ? ToOpenAI(input, new BatchObject(batchId, BatchStatus.Validating, input.CreatedAt, null, input.MaxConcurrency, input.Deployment,
                new RequestCounts(0, 0, 0), new Usage(0, 0), store.OutputBlobPath(batchId), store.ErrorBlobPath(batchId), input.Metadata ?? new Dictionary<string, string>(), MaxTotalTokens: input.MaxTotalTokens), null, null)
            : await ToOpenAIAsync(meta, client, cancellationToken).ConfigureAwait(false);
        return Results.Json(batch, BatchObjects.Json);
    }

    /// <summary><c>GET /v1/batches/{id}</c>: any batch of the store, also one submitted to <c>/api/batches</c>.</summary>
    public async Task<IResult> GetBatchAsync(string id, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var (meta, error) = await FindBatchAsync(id, client, cancellationToken).ConfigureAwait(false);
        return error ?? Results.Json(await ToOpenAIAsync(meta!, client, cancellationToken).ConfigureAwait(false), BatchObjects.Json);
    }

    /// <summary><c>GET /v1/batches?after=ID&amp;limit=N</c>: the batches made through <c>/v1/batches</c>, newest first.</summary>
    public async Task<IResult> ListBatchesAsync(HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        var (limit, limitError) = ReadLimit(request.Query, 20, 100);
        if (limitError is not null)
        {
            return limitError;
        }

        var after = request.Query["after"].ToString();
        if (after.Length > 0 && !BatchApi.IsValidId(after))
        {
            return BatchApi.Error(StatusCodes.Status400BadRequest, "invalid_parameter", "Query parameter 'after' must be a batch id.");
        }

        var (ids, hasMore) = await files.ListBatchesAsync(after.Length == 0 ? null : after, limit, cancellationToken).ConfigureAwait(false);
        var metas = await Task.WhenAll(ids.Select(i => client.GetInstanceAsync(i, getInputsAndOutputs: true, cancellationToken))).ConfigureAwait(false);
        var data = new List<OpenAIBatchObject>();
        foreach (var meta in metas)
        {
            if (meta is not null)
            {
                data.Add(await ToOpenAIAsync(meta, client, cancellationToken).ConfigureAwait(false));
            }
        }

        return Results.Json(new OpenAIList<OpenAIBatchObject>(data, data.FirstOrDefault()?.Id, data.LastOrDefault()?.Id, hasMore), BatchObjects.Json);
    }

    /// <summary><c>POST /v1/batches/{id}/cancel</c>: the batch object, <c>cancelling</c>; finished lines are kept in the output file.</summary>
    public async Task<IResult> CancelBatchAsync(string id, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var (meta, error) = await FindBatchAsync(id, client, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (IsFinished(meta!.RuntimeStatus))
        {
            return BatchApi.Error(StatusCodes.Status409Conflict, "batch_finished", $"Batch {id} has already finished.");
        }

        await client.RaiseEventAsync(id, PromptWindow.CancelEvent, "cancel", cancellationToken).ConfigureAwait(false);
        var batch = await ToOpenAIAsync(meta, client, cancellationToken).ConfigureAwait(false);
        return Results.Json(batch with { Status = BatchStatus.Cancelling }, BatchObjects.Json);
    }

    /// <summary>
    /// Maps a native batch object to OpenAI's. Statuses pass through, except that a running batch whose every line has
    /// a result is <c>finalizing</c> (its ordered output is being written).
    /// </summary>
    internal static OpenAIBatchObject ToOpenAI(BatchInput input, BatchObject native, string? outputFileId, string? errorFileId)
    {
        var counts = native.RequestCounts;
        var status = native.Status == BatchStatus.InProgress && counts.Total > 0 && counts.Completed + counts.Failed >= counts.Total
            ? "finalizing"
            : native.Status;
        var finishedAt = native.CompletedAt;
        return new OpenAIBatchObject
        {
            Id = native.Id,
            Endpoint = input.Endpoint ?? BatchEndpoints.ChatCompletions,
            Errors = native.Error is { } e ? new OpenAIBatchErrors([new OpenAIBatchError(e.Code, e.Message)]) : null,
            InputFileId = input.Source?.BlobName is { } name && name.StartsWith("file-", StringComparison.Ordinal) ? name : null,
            Status = status,
            OutputFileId = outputFileId,
            ErrorFileId = errorFileId,
            CreatedAt = native.CreatedAt,
            InProgressAt = status is BatchStatus.Validating || (status is BatchStatus.Failed && counts.Total == 0) ? null : native.CreatedAt,
            ExpiresAt = native.CreatedAt + (24 * 3600),
            CompletedAt = status == BatchStatus.Completed ? finishedAt : null,
            FailedAt = status == BatchStatus.Failed ? finishedAt : null,
            CancelledAt = status == BatchStatus.Cancelled ? finishedAt : null,
            RequestCounts = counts,
            Metadata = native.Metadata,
            Usage = new OpenAIBatchUsage(native.Usage.PromptTokens, native.Usage.CompletionTokens),
            MaxConcurrency = native.MaxConcurrency,
            MaxTotalTokens = native.MaxTotalTokens,
        };
    }

    private async Task<OpenAIBatchObject> ToOpenAIAsync(OrchestrationMetadata meta, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var input = meta.ReadInputAs<BatchInput>() ?? throw new InvalidOperationException($"Instance {meta.InstanceId} has no batch input.");
        var native = await BatchObjects.FromMetadataAsync(meta, client, store, cancellationToken).ConfigureAwait(false);
        string? outputId = null;
        string? errorId = null;
        if (native.Status is BatchStatus.Completed or BatchStatus.Cancelled
            && await files.BatchFileSizesAsync(native.Id, cancellationToken).ConfigureAwait(false) is { } sizes)
        {
            // As in OpenAI, a file is named only when it has lines.
            outputId = sizes.Output > 0 ? OpenAIFileStore.BatchFileId(native.Id, errors: false) : null;
            errorId = sizes.Errors > 0 ? OpenAIFileStore.BatchFileId(native.Id, errors: true) : null;
        }

        return ToOpenAI(input, native, outputId, errorId);
    }

    private async Task<(OpenAIFileObject? File, IResult? Error)> FindFileAsync(string id, DurableTaskClient client, CancellationToken cancellationToken)
    {
        if (!IsFileId(id))
        {
            return (null, FileNotFound(id));
        }

        if (await files.GetAsync(id, cancellationToken).ConfigureAwait(false) is { } file)
        {
            return (file, null);
        }

        // A batch's output or error file: a view of its ordered output, there once the batch has finished.
        if (OpenAIFileStore.ParseBatchFileId(id) is { } batchFile && BatchApi.IsValidId(batchFile.BatchId)
            && await client.GetInstanceAsync(batchFile.BatchId, cancellationToken).ConfigureAwait(false) is { } meta
            && IsFinished(meta.RuntimeStatus)
            && await files.GetBatchFileAsync(batchFile.BatchId, batchFile.Errors, meta.LastUpdatedAt.ToUnixTimeSeconds(), cancellationToken).ConfigureAwait(false) is { } view)
        {
            return (view, null);
        }

        return (null, FileNotFound(id));
    }

    private static async Task<(OrchestrationMetadata? Meta, IResult? Error)> FindBatchAsync(string id, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var meta = BatchApi.IsValidId(id) ? await client.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false) : null;
        return meta?.ReadInputAs<BatchInput>() is null
            ? (null, BatchApi.Error(StatusCodes.Status404NotFound, "batch_not_found", $"No batch with id '{id}'."))
            : (meta, null);
    }

    private sealed record CreateForm(string InputFileId, string Endpoint, IReadOnlyDictionary<string, string>? Metadata, int? MaxConcurrency, long? MaxTotalTokens = null);

    private async Task<(CreateForm? Form, IResult? Error)> ReadCreateAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        static (CreateForm?, IResult?) Bad(string message) => (null, BatchApi.Error(StatusCodes.Status400BadRequest, "invalid_body", message));
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) || !string.Equals(mediaType.MediaType.Value, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, BatchApi.Error(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", "Content-Type must be application/json."));
        }

        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(new LimitedReadStream(request.Body, 1024 * 1024), new JsonDocumentOptions { MaxDepth = 16 }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is JsonException or BatchLimitExceededException)
        {
            return Bad($"The body is not a valid JSON object of at most 1 MB: {e.Message}");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Bad("The body must be a JSON object {\"input_file_id\", \"endpoint\", \"completion_window\"}.");
            }

            if (!root.TryGetProperty("input_file_id", out var f) || f.ValueKind != JsonValueKind.String || !IsFileId(f.GetString()!))
            {
                return Bad("'input_file_id' is required: the id of a file uploaded to /v1/files with purpose \"batch\".");
            }

            if (!root.TryGetProperty("endpoint", out var e) || e.ValueKind != JsonValueKind.String || e.GetString()!.Length is 0 or > 256)
            {
                return Bad($"'endpoint' is required: one of {string.Join(", ", BatchEndpoints.Supported)}.");
            }

            if (root.TryGetProperty("completion_window", out var w) && w.ValueKind != JsonValueKind.Null && !(w.ValueKind == JsonValueKind.String && w.GetString() == "24h"))
            {
                return Bad("'completion_window' must be \"24h\".");
            }

            int? cap = null;
            if (root.TryGetProperty("max_concurrency", out var m) && m.ValueKind != JsonValueKind.Null)
            {
                if (m.ValueKind != JsonValueKind.Number || !m.TryGetInt32(out var v) || v < 1 || v > batchOptions.Value.MaxConcurrencyLimit)
                {
                    return Bad($"'max_concurrency' must be an integer from 1 to {batchOptions.Value.MaxConcurrencyLimit}.");
                }

                cap = v;
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

            if (BatchMetadata.Read(root, out var metadata) is { } metadataError)
            {
                return Bad(metadataError);
            }

            return (new CreateForm(f.GetString()!, e.GetString()!, metadata, cap, budget), null);
        }
    }

    private static (int Limit, IResult? Error) ReadLimit(IQueryCollection query, int defaultLimit, int maxLimit)
    {
        if (!query.TryGetValue("limit", out var l))
        {
            return (defaultLimit, null);
        }

        return int.TryParse(l.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit >= 1 && limit <= maxLimit
            ? (limit, null)
            : (0, BatchApi.Error(StatusCodes.Status400BadRequest, "invalid_parameter", $"Query parameter 'limit' must be an integer from 1 to {maxLimit}."));
    }

    private static async Task<string> ReadSmallTextAsync(Stream body, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxPurposeBytes + 1];
        var total = 0;
        int n;
        while (total < buffer.Length && (n = await body.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0)
        {
            total += n;
        }

        await body.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
        return System.Text.Encoding.UTF8.GetString(buffer, 0, Math.Min(total, MaxPurposeBytes)).Trim();
    }

    private async Task DeleteUploadedAsync(OpenAIFileObject? file, CancellationToken cancellationToken)
    {
        if (file is not null)
        {
            await files.DeleteAsync(file.Id, cancellationToken).ConfigureAwait(false);
        }
    }

    private static bool IsFinished(OrchestrationRuntimeStatus status)
        => status is OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated;

    private static bool IsFileId(string id) => FileId().IsMatch(id);

    private static IResult FileNotFound(string id) => BatchApi.Error(StatusCodes.Status404NotFound, "file_not_found", $"No file with id '{id}'.");

    [GeneratedRegex("^file-[A-Za-z0-9_.-]{1,200}$")]
    private static partial Regex FileId();

    [LoggerMessage(Level = LogLevel.Information, Message = "File {FileId} uploaded: {Bytes} bytes")]
    private static partial void LogFileUploaded(ILogger logger, string fileId, long bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {BatchId} created from file {FileId} for {Endpoint}")]
    private static partial void LogBatchCreated(ILogger logger, string batchId, string fileId, string endpoint);
}
