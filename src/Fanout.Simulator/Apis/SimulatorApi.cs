using Fanout.Simulator.Options;
using Fanout.Simulator.Stats;

namespace Fanout.Simulator.Apis;

/// <summary>The simulator's routes.</summary>
internal static class SimulatorApi
{
    public static RouteGroupBuilder Map(IEndpointRouteBuilder endpoints, string prefix)
    {
        // Resolved now rather than per request: the stats clock and the burst window start with the app.
        var engine = endpoints.ServiceProvider.GetRequiredService<SimulatorEngine>();
        RequestDelegate azure = context => ChatCompletionsEndpoint.HandleAsync(context, engine, context.Request.RouteValues["deployment"] as string);
        RequestDelegate openAI = context => ChatCompletionsEndpoint.HandleAsync(context, engine, null);

        var group = endpoints.MapGroup(prefix);
        group.MapPost("/openai/deployments/{deployment}/chat/completions", azure);
        group.MapPost("/v1/chat/completions", openAI);
        group.MapPost("/openai/v1/chat/completions", openAI);
        group.MapPost("/chat/completions", openAI);

        // Responses API: OpenAI's paths, Azure's v1 path (what Fanout calls) and its preview path (?api-version=…);
        // on Azure the deployment is the body's model, as on OpenAI.
        RequestDelegate responses = context => ChatCompletionsEndpoint.HandleAsync(context, engine, null, responses: true);
        group.MapPost("/v1/responses", responses);
        group.MapPost("/openai/v1/responses", responses);
        group.MapPost("/openai/responses", responses);
        group.MapPost("/responses", responses);
        RequestDelegate azureEmbeddings = context => EmbeddingsEndpoint.HandleAsync(context, engine, context.Request.RouteValues["deployment"] as string);
        RequestDelegate openAIEmbeddings = context => EmbeddingsEndpoint.HandleAsync(context, engine, null);
        group.MapPost("/openai/deployments/{deployment}/embeddings", azureEmbeddings);
        group.MapPost("/v1/embeddings", openAIEmbeddings);
        group.MapPost("/openai/v1/embeddings", openAIEmbeddings);
        group.MapPost("/embeddings", openAIEmbeddings);
        group.MapGet("/stats", context => GetStatsAsync(context, engine));
        group.MapPost("/stats/reset", context => ResetStats(context, engine));
        group.MapGet("/healthz", GetHealthAsync);
        group.MapGet("/stats/deployments", context => context.Response.WriteAsJsonAsync(
            engine.Deployments.Snapshot(), SimulatorJsonContext.Default.IReadOnlyDictionaryStringDeploymentStatsSnapshot, contentType: null, context.RequestAborted));
        group.MapPost("/deployments/{deployment}/stop", context => SetOutage(context, engine, context.Request.Query["mode"] == "refuse" ? DeploymentOutage.Refuse : DeploymentOutage.ServiceUnavailable));
        group.MapPost("/deployments/{deployment}/start", context => SetOutage(context, engine, DeploymentOutage.None));
        Batches.SimulatorBatchApi.Map(group, engine.Batches);
        return group;
    }

    private static Task GetStatsAsync(HttpContext context, SimulatorEngine engine)
        => context.Response.WriteAsJsonAsync(
            engine.Stats.Snapshot(), SimulatorJsonContext.Default.SimulatorStatsSnapshot, contentType: null, context.RequestAborted);

    private static Task ResetStats(HttpContext context, SimulatorEngine engine)
    {
        engine.Reset();
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    private static Task SetOutage(HttpContext context, SimulatorEngine engine, DeploymentOutage outage)
    {
        engine.SetOutage((string)context.Request.RouteValues["deployment"]!, outage);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    private static Task GetHealthAsync(HttpContext context)
    {
        context.Response.ContentType = "text/plain";
        return context.Response.WriteAsync("ok", context.RequestAborted);
    }
}
