using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fanout.Core.Jsonl;
using Fanout.Core.Models;
using Fanout.Core.Options;
using Fanout.Core.Orchestrations;
using Fanout.Core.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Fanout.Core.Api;

/// <summary>
/// The HTTP API of API.md, host-agnostic: the Functions triggers and the portable host's routes both call these
/// methods with the request and a <see cref="DurableTaskClient"/>, and return the <see cref="IResult"/>.
/// </summary>
public sealed partial class BatchApi(
    BatchStore store,
    BatchPreparer preparer,
    IOptions<BatchOptions> batchOptions,
    IOptions<OpenAIOptions> openAIOptions,
    TimeProvider time,
    ILogger<BatchApi> logger,
    IStorageFlush storageFlush,
    Estimates.BatchEstimator estimator)
{
    /// <summary>Header that makes a submit idempotent.</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    private static readonly string[] JsonlTypes = ["application/jsonl", "application/x-ndjson", "application/x-jsonlines", "application/jsonlines", "application/json-lines"];

    /// <summary><c>POST /api/batches</c>.</summary>
    public async Task<IResult> SubmitAsync(HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var o = batchOptions.Value;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) || mediaType.MediaType.Value is not { } type)
        {
            return Error(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", "Content-Type must be application/json ({\"prompts\": [...]}) or application/jsonl (OpenAI Batch input lines).");
        }

        var isJsonl = JsonlTypes.Contains(type, StringComparer.OrdinalIgnoreCase);
        var isJson = string.Equals(type, "application/json", StringComparison.OrdinalIgnoreCase);
        if (!isJsonl && !isJson)
        {
            return Error(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", $"Content-Type '{type}' is not supported; use application/json or application/jsonl.");
        }

        if (mediaType.Charset.HasValue && !string.Equals(mediaType.Charset.Value, "utf-8", StringComparison.OrdinalIgnoreCase))
        {
            return Error(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", "Only the utf-8 charset is supported.");
        }

        if (request.ContentLength > o.MaxBytes)
        {
            return TooLarge($"The body is {request.ContentLength} bytes; the limit is {o.MaxBytes} bytes.");
        }

        var query = ReadQuery(request.Query);
        if (query.Error is not null)
        {
            return query.Error;
        }

        var (dryRun, maxTotalTokens, extraError) = SubmitOptionsQuery.Read(request.Query);
        if (extraError is not null)
        {
            return extraError;
        }

        string? idempotencyKey = request.Headers.TryGetValue(IdempotencyKeyHeader, out var keys) ? keys.ToString() : null;
        if (idempotencyKey is { Length: 0 or > 256 })
        {
            return Error(StatusCodes.Status400BadRequest, "invalid_idempotency_key", "Idempotency-Key must be 1-256 characters.");
        }

        var batchId = idempotencyKey is null ? "batch_" + Guid.NewGuid().ToString("N") : IdempotentId(idempotencyKey);
        if (!dryRun && idempotencyKey is not null && await client.GetInstanceAsync(batchId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return await AcceptedAsync(existing, client, cancellationToken).ConfigureAwait(false);
        }

        if (!dryRun && idempotencyKey is not null && await BatchRecords.TryReadAsync(store, batchId, cancellationToken).ConfigureAwait(false) is { } purged)
        {
            return Accepted(purged); // finished, its history purged (Fanout:Durable:HistoryRetention)
        }

        var deployment = query.Deployment;
        var maxConcurrency = query.MaxConcurrency;
        IReadOnlyDictionary<string, string>? metadata = null;
        PreparedBatch prepared;
        try
        {
            var body = new LimitedReadStream(request.Body, o.MaxBytes);
            if (isJson)
            {
                var form = await ReadPromptsFormAsync(body, cancellationToken).ConfigureAwait(false);
                if (form.Error is not null)
                {
                    return form.Error;
                }

                deployment = form.Deployment ?? deployment;
                maxConcurrency = form.MaxConcurrency ?? maxConcurrency;
                metadata = form.Metadata;
                maxTotalTokens = form.MaxTotalTokens ?? maxTotalTokens;
                if (dryRun)
                {
                    return await EstimateAsync(form.Lines!, deployment, cancellationToken).ConfigureAwait(false);
                }

                prepared = await preparer.PrepareAsync(batchId, form.Lines!, o.ChunkSize, cancellationToken).ConfigureAwait(false);
            }
            else if (dryRun)
            {
                return await EstimateAsync(body, deployment, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                prepared = await preparer.PrepareAsync(batchId, body, o.ChunkSize, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (BatchLimitExceededException e)
        {
            return TooLarge(e.Message);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge($"The body exceeds the server's request size limit ({o.MaxBytes} bytes).");
        }

        if (prepared.Total == 0)
        {
            return Error(StatusCodes.Status400BadRequest, "empty_batch", "The batch has no lines.");
        }

        var input = new BatchInput(
            batchId,
            deployment ?? openAIOptions.Value.Deployment,
            maxConcurrency ?? o.DefaultMaxConcurrency,
            time.GetUtcNow().ToUnixTimeSeconds(),
            Prepared: prepared,
            Metadata: metadata,
            ChunkSize: o.ChunkSize,
            MinChunkWindow: o.MinChunkWindow,
            MaxDurableRetries: openAIOptions.Value.MaxDurableRetries,
            MaxCallSeconds: openAIOptions.Value.MaxCallSeconds,
            MaxTotalTokens: maxTotalTokens);
        await StartAsync(client, input, cancellationToken).ConfigureAwait(false);
        LogSubmitted(logger, batchId, prepared.Total, prepared.Invalid, input.MaxConcurrency);
        var meta = await client.GetInstanceAsync(batchId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
        return meta is null
            ? Accepted(new BatchObject(batchId, BatchStatus.InProgress, input.CreatedAt, null, input.MaxConcurrency, input.Deployment,
                new RequestCounts(prepared.Total, 0, 0), new Usage(0, 0), store.OutputBlobPath(batchId), store.ErrorBlobPath(batchId),
                metadata ?? new Dictionary<string, string>(), MaxTotalTokens: maxTotalTokens))
            : await AcceptedAsync(meta, client, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>GET /api/batches/{id}</c>.</summary>
    public async Task<IResult> GetAsync(string id, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var (meta, error) = await FindAsync(id, client, cancellationToken).ConfigureAwait(false);
        if (meta is null && IsValidId(id) && await BatchRecords.TryReadAsync(store, id, cancellationToken).ConfigureAwait(false) is { } purged)
        {
            return Results.Json(purged, BatchObjects.Json); // finished, its history purged (Fanout:Durable:HistoryRetention)
        }

        return error ?? Results.Json(await BatchObjects.FromMetadataAsync(meta!, client, store, cancellationToken).ConfigureAwait(false), BatchObjects.Json);
    }

    /// <summary><c>GET /api/batches/{id}/results</c> and <c>/errors</c>: streams the ordered JSONL.</summary>
    public async Task<IResult> GetOutputAsync(string id, bool errorsOnly, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var (meta, error) = await FindAsync(id, client, cancellationToken).ConfigureAwait(false);
        if (meta is null && IsValidId(id) && await BatchRecords.ExistsAsync(store, id, cancellationToken).ConfigureAwait(false))
        {
            error = null; // finished, its history purged: the output is all there is
        }

        if (error is not null)
        {
            return error;
        }

        if (meta is not null && meta.RuntimeStatus is not (OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated))
        {
            return Error(StatusCodes.Status409Conflict, "batch_not_finished", $"Batch {id} is not finished yet; results are available once its status is completed or cancelled.");
        }

        var stream = await store.OpenOutputAsync(id, errorsOnly ? "errors.jsonl" : "output.jsonl", cancellationToken).ConfigureAwait(false);
        return stream is null
            ? Error(StatusCodes.Status404NotFound, "output_not_found", $"Batch {id} has no output file; it failed before writing one (see its error).")
            : Results.Stream(stream, "application/jsonl; charset=utf-8");
    }

    /// <summary><c>POST /api/batches/{id}/cancel</c>.</summary>
    public async Task<IResult> CancelAsync(string id, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var (meta, error) = await FindAsync(id, client, cancellationToken).ConfigureAwait(false);
        if (meta is null && IsValidId(id) && await BatchRecords.ExistsAsync(store, id, cancellationToken).ConfigureAwait(false))
        {
            return Error(StatusCodes.Status409Conflict, "batch_finished", $"Batch {id} has already finished.");
        }

        if (error is not null)
        {
            return error;
        }

        if (meta!.RuntimeStatus is OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated)
        {
            return Error(StatusCodes.Status409Conflict, "batch_finished", $"Batch {id} has already finished.");
        }

        await client.RaiseEventAsync(id, PromptWindow.CancelEvent, "cancel", cancellationToken).ConfigureAwait(false);
        var batch = await BatchObjects.FromMetadataAsync(meta, client, store, cancellationToken).ConfigureAwait(false);
        return Results.Json(batch with { Status = BatchStatus.Cancelling }, BatchObjects.Json, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>Starts the batch for a blob dropped into the input container; the same name and content never start a second batch.</summary>
    public async Task<string> StartFromBlobAsync(string blobName, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var blob = store.Input.GetBlobClient(blobName);
        string hash;
        await using (var content = await blob.OpenReadAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(content, cancellationToken).ConfigureAwait(false))[..16];
        }

        var id = BlobBatchId(blobName, hash);
        if (await client.GetInstanceAsync(id, cancellationToken).ConfigureAwait(false) is not null
            || await BatchRecords.ExistsAsync(store, id, cancellationToken).ConfigureAwait(false))
        {
            return id;
        }

        var o = batchOptions.Value;
        var input = new BatchInput(
            id,
            openAIOptions.Value.Deployment,
            o.DefaultMaxConcurrency,
            time.GetUtcNow().ToUnixTimeSeconds(),
            Source: new Models.BatchSource(store.Input.Name, blobName),
            Metadata: new Dictionary<string, string> { ["source_blob"] = $"{store.Input.Name}/{blobName}" },
            ChunkSize: o.ChunkSize,
            MinChunkWindow: o.MinChunkWindow,
            MaxDurableRetries: openAIOptions.Value.MaxDurableRetries,
            MaxCallSeconds: openAIOptions.Value.MaxCallSeconds);
        await StartAsync(client, input, cancellationToken).ConfigureAwait(false);
        LogBlobStarted(logger, id, blobName);
        return id;
    }

    /// <summary>The batch id of a dropped blob: readable name plus a content hash.</summary>
    public static string BlobBatchId(string blobName, string contentHash)
    {
        var stem = Path.GetFileNameWithoutExtension(blobName);
        var safe = UnsafeIdChars().Replace(stem, "-").Trim('-');
        if (safe.Length > 60)
        {
            safe = safe[..60];
        }

        return $"blob_{(safe.Length == 0 ? "batch" : safe)}_{contentHash}";
    }

    /// <summary>The batch id for an Idempotency-Key.</summary>
    public static string IdempotentId(string key)
        => "batch_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..32];

    /// <summary>True when <paramref name="id"/> has the shape of a batch id.</summary>
    public static bool IsValidId(string id) => ValidId().IsMatch(id);

    /// <summary>A JSON error response.</summary>
    public static IResult Error(int status, string code, string message)
        => Results.Json(new { error = new ApiError(code, message) }, BatchObjects.Json, statusCode: status);

    /// <summary>The dry run: the same reading and validation as a submit, nothing stored, no model called.</summary>
    private async Task<IResult> EstimateAsync(Stream lines, string? deployment, CancellationToken cancellationToken)
    {
        var estimate = await estimator.EstimateAsync(lines, deployment ?? openAIOptions.Value.Deployment, cancellationToken).ConfigureAwait(false);
        return estimate.Lines == 0
            ? Error(StatusCodes.Status400BadRequest, "empty_batch", "The batch has no lines.")
            : Results.Json(estimate, BatchObjects.Json);
    }

    private IResult TooLarge(string message) => Error(StatusCodes.Status413PayloadTooLarge, "batch_too_large", message);

    internal async Task StartAsync(DurableTaskClient client, BatchInput input, CancellationToken cancellationToken)
    {
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(nameof(BatchOrchestrator), input, new StartOrchestrationOptions(input.BatchId), cancellationToken).ConfigureAwait(false);

            // 202 Accepted means the batch is on disk: its prepared lines and its orchestration survive a power loss.
            await storageFlush.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (await client.GetInstanceAsync(input.BatchId, cancellationToken).ConfigureAwait(false) is null)
            {
                throw;
            }

            // Another request with the same id won the race: the batch exists once, which is what was asked.
            LogAlreadyStarted(logger, input.BatchId);
        }
    }

    internal async Task<IResult> AcceptedAsync(OrchestrationMetadata meta, DurableTaskClient client, CancellationToken cancellationToken)
        => Accepted(await BatchObjects.FromMetadataAsync(meta, client, store, cancellationToken).ConfigureAwait(false));

    internal static IResult Accepted(BatchObject batch)
        => new LocationResult(Results.Json(batch, BatchObjects.Json, statusCode: StatusCodes.Status202Accepted), $"/api/batches/{batch.Id}");

    private sealed class LocationResult(IResult inner, string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return inner.ExecuteAsync(httpContext);
        }
    }

    internal static async Task<(OrchestrationMetadata? Meta, IResult? Error)> FindAsync(string id, DurableTaskClient client, CancellationToken cancellationToken)
    {
        if (!IsValidId(id))
        {
            return (null, Error(StatusCodes.Status400BadRequest, "invalid_batch_id", "A batch id is 1-128 letters, digits, '_', '-' or '.', starting with a letter or digit."));
        }

        var meta = await client.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
        return meta is null
            ? (null, Error(StatusCodes.Status404NotFound, "batch_not_found", $"No batch with id '{id}'."))
            : (meta, null);
    }

    private (string? Deployment, int? MaxConcurrency, IResult? Error) ReadQuery(IQueryCollection query)
    {
        string? deployment = null;
        int? cap = null;
        if (query.TryGetValue("deployment", out var d))
        {
            if (d.Count != 1 || !IsValidDeployment(d.ToString()))
            {
                return (null, null, Error(StatusCodes.Status400BadRequest, "invalid_parameter", "Query parameter 'deployment' must be 1-64 letters, digits, '.', '_' or '-'."));
            }

            deployment = d.ToString();
        }

        if (query.TryGetValue("maxConcurrency", out var m))
        {
            if (m.Count != 1 || !int.TryParse(m.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) || !IsValidCap(v))
            {
                return (null, null, Error(StatusCodes.Status400BadRequest, "invalid_parameter", $"Query parameter 'maxConcurrency' must be an integer from 1 to {batchOptions.Value.MaxConcurrencyLimit}."));
            }

            cap = v;
        }

        return (deployment, cap, null);
    }

    private bool IsValidCap(int value) => value >= 1 && value <= batchOptions.Value.MaxConcurrencyLimit;

    private static bool IsValidDeployment(string value) => DeploymentName().IsMatch(value);

    private sealed record PromptsForm(Stream? Lines, string? Deployment, int? MaxConcurrency, IReadOnlyDictionary<string, string>? Metadata, IResult? Error, long? MaxTotalTokens = null);

    private async Task<PromptsForm> ReadPromptsFormAsync(Stream body, CancellationToken cancellationToken)
    {
        PromptsForm Bad(string message) => new(null, null, null, null, Error(StatusCodes.Status400BadRequest, "invalid_body", message));
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(body, new JsonDocumentOptions { MaxDepth = 64 }, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            return Bad($"The body is not valid JSON: {e.Message}");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Bad("The body must be a JSON object {\"prompts\": [...]}.");
            }

            if (!root.TryGetProperty("prompts", out var prompts) || prompts.ValueKind != JsonValueKind.Array)
            {
                return Bad("'prompts' is required and must be an array of strings.");
            }

            if (prompts.GetArrayLength() > batchOptions.Value.MaxLines)
            {
                throw new BatchLimitExceededException("too_many_lines", batchOptions.Value.MaxLines, $"The batch has {prompts.GetArrayLength()} prompts; the limit is {batchOptions.Value.MaxLines}.");
            }

            string? deployment = null;
            if (root.TryGetProperty("deployment", out var d) && d.ValueKind != JsonValueKind.Null)
            {
                if (d.ValueKind != JsonValueKind.String || !IsValidDeployment(d.GetString()!))
                {
                    return Bad("'deployment' must be a string of 1-64 letters, digits, '.', '_' or '-'.");
                }

                deployment = d.GetString();
            }

            int? cap = null;
            if (root.TryGetProperty("maxConcurrency", out var m) && m.ValueKind != JsonValueKind.Null)
            {
                if (m.ValueKind != JsonValueKind.Number || !m.TryGetInt32(out var v) || !IsValidCap(v))
                {
                    return Bad($"'maxConcurrency' must be an integer from 1 to {batchOptions.Value.MaxConcurrencyLimit}.");
                }

                cap = v;
            }

            long? budget = null;
            if (SubmitOptionsQuery.ReadJson(root, ref budget) is { } budgetError)
            {
                return Bad(budgetError);
            }

            if (BatchMetadata.Read(root, out var metadata) is { } metadataError)
            {
                return Bad(metadataError);
            }

            var lines = new MemoryStream();
            var i = 0;
            foreach (var p in prompts.EnumerateArray())
            {
                if (p.ValueKind != JsonValueKind.String)
                {
                    return Bad($"'prompts[{i}]' must be a string.");
                }

                lines.Write(JsonlLineWriter.PromptLine(i, p.GetString()!, null));
                i++;
            }

            lines.Position = 0;
            return new PromptsForm(lines, deployment, cap, metadata, null, budget);
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex ValidId();

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex DeploymentName();

    [GeneratedRegex("[^A-Za-z0-9-]+")]
    private static partial Regex UnsafeIdChars();

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {BatchId} submitted: {Total} lines ({Invalid} invalid), cap {Cap}")]
    private static partial void LogSubmitted(ILogger logger, string batchId, int total, int invalid, int cap);

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {BatchId} started from blob {BlobName}")]
    private static partial void LogBlobStarted(ILogger logger, string batchId, string blobName);

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {BatchId} already exists; not started twice")]
    private static partial void LogAlreadyStarted(ILogger logger, string batchId);
}

/// <summary>Read-only pass-through that throws <see cref="BatchLimitExceededException"/> past a byte limit.</summary>
internal sealed class LimitedReadStream(Stream inner, long limit) : Stream
{
    private long _read;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        => Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Count(int n)
    {
        _read += n;
        return _read > limit
            ? throw new BatchLimitExceededException("batch_too_large", limit, $"The body exceeds the limit of {limit} bytes.")
            : n;
    }
}
