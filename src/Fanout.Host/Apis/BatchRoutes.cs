using Fanout.Http;
using Fanout.Http.Batches;

namespace Fanout.Host.Apis;

/// <summary>The native API of API.md on the portable host: the route table and endpoints of Fanout.Http, the same the Functions triggers use.</summary>
public static class BatchRoutes
{
    /// <summary>Maps <c>/api/batches</c> and <c>/healthz</c>.</summary>
    public static IEndpointRouteBuilder MapBatchApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/" + Routes.ApiPrefix);
        api.MapPost(Routes.Batches, BatchEndpoints.SubmitAsync);
        api.MapGet(Routes.Batches, BatchEndpoints.ListAsync);
        api.MapGet(Routes.Batch, BatchEndpoints.GetAsync);
        api.MapGet(Routes.BatchResults, BatchEndpoints.ResultsAsync);
        api.MapGet(Routes.BatchErrors, BatchEndpoints.ErrorsAsync);
        api.MapGet(Routes.BatchEvents, BatchEndpoints.EventsAsync);
        api.MapPost(Routes.BatchCancel, BatchEndpoints.CancelAsync);
        api.MapPost(Routes.BatchRetry, BatchEndpoints.RetryAsync);
        app.MapGet("/" + Routes.Healthz, BatchEndpoints.HealthAsync);
        return app;
    }
}
