using Fanout.Core.Api;
using Fanout.Core.Retries;
using Fanout.Core.Watching;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;

namespace Fanout.Http.Batches;

/// <summary>
/// The native batch API (API.md) over HTTP, once for both hosts: each method reads the request into the service's
/// input, calls the service, and maps its value or error to the response. The portable host's routes and the
/// Functions triggers are one line each over these.
/// </summary>
public static class BatchEndpoints
{
    /// <summary><c>POST /api/batches</c>: 202 with <c>Location</c>, or 200 with the estimate of a dry run.</summary>
    public static async Task<IResult> SubmitAsync(HttpRequest request, BatchSubmitService service, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(service);
        if (ContentEncodings.Check(request) is { } encoding)
        {
            return ErrorResults.ToResult(encoding);
        }

        var format = SubmitFormats.Read(request);
        if (!format.IsSuccess)
        {
            return ErrorResults.ToResult(format.Error);
        }

        var input = new SubmitRequest(RequestInputs.Body(request), format.Value, request.ContentLength, RequestInputs.Query(request), RequestInputs.IdempotencyKey(request));
        var result = await service.SubmitAsync(input, client, cancellationToken).ConfigureAwait(false);
        return result.ToHttp(reply => reply.Batch is { } batch
            ? ServiceResults.Accepted(batch, Routes.BatchLocation(batch.Id))
            : ServiceResults.Json(reply.Estimate!));
    }

    /// <summary><c>GET /api/batches/{id}</c>.</summary>
    public static async Task<IResult> GetAsync(string id, BatchService service, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        return (await service.GetAsync(id, client, cancellationToken).ConfigureAwait(false)).ToHttp();
    }

    /// <summary><c>GET /api/batches?limit=N&amp;after=ID</c>.</summary>
    public static async Task<IResult> ListAsync(HttpRequest request, BatchWatchService watch, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(watch);
        return (await watch.ListAsync(RequestInputs.Query(request), client, cancellationToken).ConfigureAwait(false)).ToHttp();
    }

    /// <summary><c>GET /api/batches/{id}/results</c> (<c>?partial=true</c>: with <c>Fanout-Complete</c>; <c>?merged=true</c>: a retry's merged output).</summary>
    public static async Task<IResult> ResultsAsync(string id, HttpRequest request, BatchWatchService watch, BatchRetryService retries, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(watch);
        ArgumentNullException.ThrowIfNull(retries);
        var query = RequestInputs.Query(request);
        if (BatchRetryService.WantsMerged(query))
        {
            return (await retries.GetMergedAsync(id, client, cancellationToken).ConfigureAwait(false)).ToHttp(ServiceResults.Content);
        }

        var results = await watch.ResultsAsync(id, query, client, cancellationToken).ConfigureAwait(false);
        return results.ToHttp(r => r.Complete is { } complete
            ? new HeaderResult(r.Body.ToHttp(ServiceResults.Content), FanoutHeaders.Complete, complete ? "true" : "false")
            : r.Body.ToHttp(ServiceResults.Content));
    }

    /// <summary><c>GET /api/batches/{id}/errors</c>.</summary>
    public static async Task<IResult> ErrorsAsync(string id, BatchService service, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        return (await service.GetOutputAsync(id, errorsOnly: true, client, cancellationToken).ConfigureAwait(false)).ToHttp(ServiceResults.Content);
    }

    /// <summary><c>GET /api/batches/{id}/events</c>: server-sent events.</summary>
    public static async Task<IResult> EventsAsync(string id, HttpRequest request, BatchWatchService watch, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(watch);
        return (await watch.EventsAsync(id, client, cancellationToken, RequestInputs.CallerKey(request)).ConfigureAwait(false)).ToHttp(ServiceResults.Events);
    }

    /// <summary><c>POST /api/batches/{id}/cancel</c>: 202.</summary>
    public static async Task<IResult> CancelAsync(string id, BatchService service, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        return (await service.CancelAsync(id, client, cancellationToken).ConfigureAwait(false)).ToHttp(StatusCodes.Status202Accepted);
    }

    /// <summary><c>POST /api/batches/{id}/retry</c>: 202 with <c>Location</c>.</summary>
    public static async Task<IResult> RetryAsync(string id, HttpRequest request, BatchRetryService retries, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(retries);
        var result = await retries.RetryAsync(id, RequestInputs.IdempotencyKey(request), client, cancellationToken).ConfigureAwait(false);
        return result.ToHttp(batch => ServiceResults.Accepted(batch, Routes.BatchLocation(batch.Id)));
    }

    /// <summary><c>GET /healthz</c>: 200, or 503 naming the dependency that does not answer.</summary>
    public static async Task<IResult> HealthAsync(BatchWatchService watch, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(watch);
        var report = await watch.HealthAsync(client, cancellationToken).ConfigureAwait(false);
        return ServiceResults.Json(report, report.Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
