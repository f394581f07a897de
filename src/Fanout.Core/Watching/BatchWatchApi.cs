using System.Globalization;
using Fanout.Core.Api;
using Fanout.Core.Models;
using Fanout.Core.Orchestrations;
using Fanout.Core.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Fanout.Core.Watching;

/// <summary>
/// "Watching a batch" of API.md, host-agnostic like <see cref="BatchApi"/>: the event stream, the finished prefix of
/// the results, the list of batches and the health check. Every figure comes from the batch object that
/// <c>GET /api/batches/{id}</c> returns (<see cref="BatchObjects.FromMetadataAsync"/>).
/// </summary>
public sealed partial class BatchWatchApi(BatchApi api, BatchStore store, TimeProvider time, ILogger<BatchWatchApi> logger)
{
    /// <summary>Header of <c>results?partial=true</c>: whether the body is the whole output.</summary>
    public const string CompleteHeader = "Fanout-Complete";

    /// <summary>Default page size of the batch list.</summary>
    public const int DefaultListLimit = 20;

    /// <summary>Largest page size of the batch list.</summary>
    public const int MaxListLimit = 100;

    /// <summary><c>GET /api/batches/{id}/events</c>: a <c>text/event-stream</c> of <c>progress</c> events.</summary>
    public async Task<IResult> EventsAsync(string id, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var (_, error) = await BatchApi.FindAsync(id, client, cancellationToken).ConfigureAwait(false);
        return error ?? new BatchEventStream(id, client, store, time, logger);
    }

    /// <summary>
    /// <c>GET /api/batches/{id}/results</c>: with <c>partial=true</c>, the finished prefix while the batch runs
    /// (<c>Fanout-Complete: false</c>) and the whole output once it has finished (<c>Fanout-Complete: true</c>).
    /// </summary>
    public async Task<IResult> ResultsAsync(string id, HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var partial = false;
        if (request.Query.TryGetValue("partial", out var p) && (p.Count != 1 || !bool.TryParse(p.ToString(), out partial)))
        {
            return BatchApi.Error(StatusCodes.Status400BadRequest, "invalid_parameter", "Query parameter 'partial' must be true or false.");
        }

        if (!partial)
        {
            return await api.GetOutputAsync(id, errorsOnly: false, client, cancellationToken).ConfigureAwait(false);
        }

        var (meta, error) = await BatchApi.FindAsync(id, client, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return meta is null && BatchApi.IsValidId(id) ? await api.GetOutputAsync(id, errorsOnly: false, client, cancellationToken).ConfigureAwait(false) : error; // purged: finished
        }

        if (IsFinished(meta!.RuntimeStatus))
        {
            return new HeaderResult(await api.GetOutputAsync(id, errorsOnly: false, client, cancellationToken).ConfigureAwait(false), CompleteHeader, "true");
        }

        var input = meta.ReadInputAs<BatchInput>()!;
        var total = input.Prepared?.Total ?? meta.ReadCustomStatusAs<BatchProgress>()?.Total ?? 0;
        var prepared = input.Prepared ?? new PreparedBatch(total, 0, input.ChunkSize);
        return new HeaderResult(new FinishedPrefixResult(store, id, prepared), CompleteHeader, "false");
    }

    /// <summary><c>GET /api/batches?limit=N&amp;after=ID</c>: newest first.</summary>
    public async Task<IResult> ListAsync(HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var limit = DefaultListLimit;
        if (request.Query.TryGetValue("limit", out var l)
            && (l.Count != 1 || !int.TryParse(l.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > MaxListLimit))
        {
            return BatchApi.Error(StatusCodes.Status400BadRequest, "invalid_parameter", $"Query parameter 'limit' must be an integer from 1 to {MaxListLimit}.");
        }

        string? after = null;
        if (request.Query.TryGetValue("after", out var a))
        {
            if (a.Count != 1 || !BatchApi.IsValidId(a.ToString()))
            {
                return BatchApi.Error(StatusCodes.Status400BadRequest, "invalid_parameter", "Query parameter 'after' must be a batch id.");
            }

            after = a.ToString();
        }

        // The durable store lists instances by id, not by age: read the batch instances (not their chunks) and sort.
        var batches = new List<OrchestrationMetadata>();
        await foreach (var meta in client.GetAllInstancesAsync(new OrchestrationQuery { FetchInputsAndOutputs = true, PageSize = 500 }).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (meta.Name == nameof(BatchOrchestrator) && !meta.InstanceId.Contains('~', StringComparison.Ordinal))
            {
                batches.Add(meta);
            }
        }

        // Finished batches whose history was purged (Fanout:Durable:HistoryRetention) are listed from their records.
        var purged = await BatchRecords.ListAsync(store, batches.Select(b => b.InstanceId).ToHashSet(StringComparer.Ordinal), cancellationToken).ConfigureAwait(false);
        var entries = batches.Select(m => (m.CreatedAt, m.InstanceId, (Func<Task<BatchObject>>)(() => BatchObjects.FromMetadataAsync(m, client, store, cancellationToken))))
            .Concat(purged.Select(r => (DateTimeOffset.FromUnixTimeSeconds(r.CreatedAt), r.Id, (Func<Task<BatchObject>>)(() => Task.FromResult(r))))).ToList();
        entries.Sort((x, y) => y.Item1 != x.Item1 ? y.Item1.CompareTo(x.Item1) : string.CompareOrdinal(y.Item2, x.Item2));
        var start = 0;
        if (after is not null)
        {
            var at = entries.FindIndex(b => b.Item2 == after);
            if (at < 0)
            {
                return BatchApi.Error(StatusCodes.Status404NotFound, "batch_not_found", $"No batch with id '{after}' (query parameter 'after').");
            }

            start = at + 1;
        }

        var page = entries.Skip(start).Take(limit).ToList();
        var data = await Task.WhenAll(page.Select(e => e.Item3())).ConfigureAwait(false);
        return Results.Json(new BatchList(data, start + page.Count < entries.Count), BatchObjects.Json);
    }

    /// <summary><c>GET /healthz</c>: 200 when storage and the durable backend answer, 503 naming the one that does not.</summary>
    public async Task<IResult> HealthAsync(DurableTaskClient client, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var storage = ProbeAsync("storage", () => store.Output.ExistsAsync(timeout.Token));
        var durable = ProbeAsync("durable", () => client.GetInstanceAsync("healthz-probe", timeout.Token));
        var checks = await Task.WhenAll(storage, durable).ConfigureAwait(false);
        var healthy = checks.All(c => c);
        return Results.Json(
            new { status = healthy ? "ok" : "unhealthy", storage = checks[0] ? "ok" : "unreachable", durable = checks[1] ? "ok" : "unreachable" },
            BatchObjects.Json,
            statusCode: healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>True when the orchestration of a batch has ended (completed, cancelled or failed).</summary>
    internal static bool IsFinished(OrchestrationRuntimeStatus status)
        => status is OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated;

    private async Task<bool> ProbeAsync(string name, Func<Task> probe)
    {
        try
        {
            await probe().ConfigureAwait(false);
            return true;
        }
        catch (Exception e)
        {
            // The reason goes to the log only: the health check is open without a key.
            LogUnhealthy(logger, e, name);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Health check: {Dependency} is unreachable")]
    private static partial void LogUnhealthy(ILogger logger, Exception exception, string dependency);

    /// <summary>The list object.</summary>
    private sealed record BatchList(IReadOnlyList<BatchObject> Data, bool HasMore)
    {
        public string Object => "list";

        public string? FirstId => Data.Count > 0 ? Data[0].Id : null;

        public string? LastId => Data.Count > 0 ? Data[^1].Id : null;
    }

    private sealed class HeaderResult(IResult inner, string name, string value) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers[name] = value;
            return inner.ExecuteAsync(httpContext);
        }
    }

    private sealed class FinishedPrefixResult(BatchStore store, string batchId, PreparedBatch prepared) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status200OK;
            httpContext.Response.ContentType = "application/jsonl; charset=utf-8";
            await store.WriteFinishedPrefixAsync(batchId, prepared, httpContext.Response.Body, httpContext.RequestAborted).ConfigureAwait(false);
        }
    }
}
