using Fanout.Simulator.Stats;

namespace Fanout.Simulator.Apis;

/// <summary>The simulator's routes.</summary>
internal static class SimulatorApi
{
    public static RouteGroupBuilder Map(IEndpointRouteBuilder endpoints, string prefix)
    {
        var group = endpoints.MapGroup(prefix);
        group.MapPost("/openai/deployments/{deployment}/chat/completions", ChatCompletionsEndpoint.HandleAzureAsync);
        group.MapPost("/v1/chat/completions", ChatCompletionsEndpoint.HandleOpenAIAsync);
        group.MapPost("/openai/v1/chat/completions", ChatCompletionsEndpoint.HandleOpenAIAsync);
        group.MapPost("/chat/completions", ChatCompletionsEndpoint.HandleOpenAIAsync);
        group.MapGet("/stats", GetStatsAsync);
        group.MapPost("/stats/reset", ResetStats);
        group.MapGet("/healthz", GetHealthAsync);
        return group;
    }

    private static Task GetStatsAsync(HttpContext context)
    {
        var snapshot = context.RequestServices.GetRequiredService<SimulatorEngine>().Stats.Snapshot();
        return context.Response.WriteAsJsonAsync(snapshot, SimulatorJsonContext.Default.SimulatorStatsSnapshot, contentType: null, context.RequestAborted);
    }

    private static Task ResetStats(HttpContext context)
    {
        context.RequestServices.GetRequiredService<SimulatorEngine>().Reset();
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    private static Task GetHealthAsync(HttpContext context)
    {
        context.Response.ContentType = "text/plain";
        return context.Response.WriteAsync("ok", context.RequestAborted);
    }
}
