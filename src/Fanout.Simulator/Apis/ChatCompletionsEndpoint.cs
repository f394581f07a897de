using System.Globalization;
using System.Text.Json;
using Fanout.Simulator.Faults;
using Fanout.Simulator.Options;
using Fanout.Simulator.RateLimiting;
using Microsoft.Net.Http.Headers;

namespace Fanout.Simulator.Apis;

/// <summary>
/// Serves <c>POST …/chat/completions</c> (and, with <c>responses</c>, <c>POST …/responses</c> in the Responses API's
/// shape): quota, injected faults, latency, then the deterministic answer (or, for a request that asks for JSON, a
/// <see cref="Structured.StructuredAnswer"/>).
/// </summary>
internal static class ChatCompletionsEndpoint
{
    /// <summary>The <c>created</c> timestamp of every answer when responses are deterministic.</summary>
    internal const long DeterministicCreated = 1_764_000_000;

    /// <summary>Characters per streamed content chunk (about four tokens).</summary>
    internal const int StreamChunkChars = 16;

    private const string DefaultDeployment = "default";

    /// <summary>
    /// Answers one request. <paramref name="routeDeployment"/> is the Azure route's deployment; on the OpenAI routes (null)
    /// the deployment is the body's <c>model</c>, or <c>"default"</c>.
    /// </summary>
    public static async Task HandleAsync(HttpContext context, SimulatorEngine engine, string? routeDeployment, bool responses = false)
    {
        var stats = engine.Stats;
        var aborted = context.RequestAborted;
        var response = context.Response;
        stats.Enter();
        try
        {
            var (request, error) = await ReadAsync(context.Request, responses, aborted).ConfigureAwait(false);
            var requestId = engine.Options.DeterministicResponses && request is not null
                ? "req-" + SimulatorResponder.CompletionIdFor(request.Prompt)["chatcmpl-".Length..]
                : Guid.NewGuid().ToString();
            response.Headers["x-request-id"] = requestId;
            response.Headers["apim-request-id"] = requestId;
            if (request is null)
            {
                stats.CountBadRequest();
                await SendErrorAsync(response, StatusCodes.Status400BadRequest, "BadRequest", error!, aborted).ConfigureAwait(false);
                return;
            }

            var options = engine.Options;
            var deployment = routeDeployment ?? request.Model ?? DefaultDeployment;
            var promptTokens = SimulatorResponder.EstimateTokens(request.Prompt.Length);
            var settings = options.DeploymentOptions(deployment);
            var perDeployment = engine.Deployments;
            perDeployment.CountRequest(deployment);
            switch (engine.OutageOf(deployment, settings))
            {
                case DeploymentOutage.Refuse:
                    // Dropped unanswered: the client sees a failed connection, as from a region that is down.
                    stats.CountFailed();
                    perDeployment.CountFailed(deployment, 0);
                    context.Abort();
                    return;
                case DeploymentOutage.ServiceUnavailable:
                    stats.CountFailed();
                    perDeployment.CountFailed(deployment);
                    await SendErrorAsync(response, StatusCodes.Status503ServiceUnavailable, "ServiceUnavailable",
                        $"The deployment '{deployment}' is down. (simulated)", aborted).ConfigureAwait(false);
                    return;
                case DeploymentOutage.None:
                default:
                    break;
            }

            var requestsPerMinute = settings?.RequestsPerMinute ?? options.RequestsPerMinute;
            var tokensPerMinute = settings?.TokensPerMinute ?? options.TokensPerMinute;

            if (engine.InBurst429(out var burstLeft))
            {
                stats.CountRateLimited();
                perDeployment.CountRateLimited(deployment);
                await SendTooManyRequestsAsync(response, burstLeft, aborted).ConfigureAwait(false);
                return;
            }

            if (requestsPerMinute > 0 || tokensPerMinute > 0)
            {
                var cost = (long)promptTokens + (request.MaxTokens ?? options.DefaultMaxTokens);
                var scale = options.QuotaWindowSeconds / 60.0;
                var decision = engine.Limiter.TryAcquire(
                    deployment,
                    cost,
                    (int)Math.Ceiling(requestsPerMinute * scale),
                    (long)Math.Ceiling(tokensPerMinute * scale),
                    TimeSpan.FromSeconds(options.QuotaWindowSeconds));
                SetRemainingHeaders(response, decision);
                if (!decision.IsAdmitted)
                {
                    stats.CountRateLimited();
                    perDeployment.CountRateLimited(deployment);
                    await SendTooManyRequestsAsync(response, decision.RetryAfter, aborted).ConfigureAwait(false);
                    return;
                }

                stats.CountAdmitted(cost);
                perDeployment.CountAdmitted(deployment, cost);
            }

            var digest = PromptDigest.Compute(request.Prompt);
            switch (FaultSelector.Select(options, digest.Key, stats))
            {
                case Fault.Hang:
                    perDeployment.CountHung(deployment);
                    await HangAsync(context, engine).ConfigureAwait(false);
                    return;
                case Fault.ServiceUnavailable:
                    stats.CountFailed();
                    perDeployment.CountFailed(deployment);
                    await SendErrorAsync(response, StatusCodes.Status503ServiceUnavailable, "ServiceUnavailable",
                        "The service is temporarily unable to process your request. (simulated)", aborted).ConfigureAwait(false);
                    return;
                case Fault.Failure when options.FailureStatusCode == StatusCodes.Status429TooManyRequests:
                    stats.CountRateLimited();
                    perDeployment.CountRateLimited(deployment);
                    await SendTooManyRequestsAsync(response, TimeSpan.FromMilliseconds(options.FailureRetryAfterMs), aborted).ConfigureAwait(false);
                    return;
                case Fault.Failure:
                    stats.CountFailed();
                    perDeployment.CountFailed(deployment, options.FailureStatusCode);
                    if (options.FailureBody is { } body)
                    {
                        // A service that does not answer in OpenAI's error shape (a gateway, a proxy, another vendor).
                        await SendRawErrorAsync(response, options.FailureStatusCode, body, aborted).ConfigureAwait(false);
                        return;
                    }

                    await SendErrorAsync(response, options.FailureStatusCode, "InternalServerError",
                        "The server had an error while processing your request. (simulated)", aborted).ConfigureAwait(false);
                    return;
                case Fault.None:
                default:
                    break;
            }

            var (content, refusal) = request.Format is { } format
                ? Structured.StructuredAnswer.For(format, options, Random.Shared)
                : (SimulatorResponder.ContentFor(request.Prompt, digest), null);
            content ??= string.Empty;
            var completion = new Completion(
                digest.CompletionId,
                engine.Options.DeterministicResponses ? DeterministicCreated : engine.TimeProvider.GetUtcNow().ToUnixTimeSeconds(),
                settings is null ? request.Model ?? deployment : settings.Model ?? deployment,
                content,
                promptTokens,
                SimulatorResponder.EstimateTokens((refusal ?? content).Length),
                request.IncludeUsage,
                refusal);

            if (request.Stream)
            {
                await StreamAsync(response, completion, engine, aborted).ConfigureAwait(false);
                if (aborted.IsCancellationRequested)
                {
                    stats.CountCancelled();
                    return;
                }
            }
            else
            {
                var latency = (settings?.LatencyMs ?? FirstTokenLatency(engine)) + (options.LatencyPerOutputTokenMs * completion.CompletionTokens);
                await DelayAsync(latency, engine, aborted).ConfigureAwait(false);
                response.StatusCode = StatusCodes.Status200OK;
                response.ContentType = "application/json";
                if (request.Echo is { } echo)
                {
                    ResponsesWriter.WriteResponse(response.BodyWriter, response, completion, echo);
                }
                else
                {
                    ChatCompletionWriter.WriteCompletion(response.BodyWriter, response, completion);
                }

                await response.BodyWriter.FlushAsync(aborted).ConfigureAwait(false);
            }

            stats.CountSucceeded(digest.Key);
            perDeployment.CountSucceeded(deployment, completion.PromptTokens + completion.CompletionTokens);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && aborted.IsCancellationRequested)
        {
            // The client went away (a reset while reading the body surfaces as an IOException).
            stats.CountCancelled();
        }
        finally
        {
            stats.Exit();
        }
    }

    private static async Task<(ChatRequest? Request, string? Error)> ReadAsync(HttpRequest request, bool responses, CancellationToken cancellationToken)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, default, cancellationToken).ConfigureAwait(false);
            ChatRequest? parsed;
            string? error;
            var ok = responses
                ? ResponsesRequest.TryParse(document.RootElement, out parsed, out error)
                : ChatRequest.TryParse(document.RootElement, out parsed, out error);
            return ok ? (parsed, null) : (null, error);
        }
        catch (JsonException)
        {
            return (null, "The request body is not valid JSON.");
        }
    }

    private static async Task StreamAsync(HttpResponse response, Completion completion, SimulatorEngine engine, CancellationToken aborted)
    {
        var perToken = engine.Options.LatencyPerOutputTokenMs;
        await DelayAsync(FirstTokenLatency(engine), engine, aborted).ConfigureAwait(false);
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        var pipe = response.BodyWriter;
        ChatCompletionWriter.WriteChunk(pipe, completion, ChunkKind.Role);
        await pipe.FlushAsync(aborted).ConfigureAwait(false);

        var content = completion.Content;
        for (var start = 0; start < content.Length;)
        {
            var length = Math.Min(StreamChunkChars, content.Length - start);
            if (start + length < content.Length && char.IsHighSurrogate(content[start + length - 1]))
            {
                length--;
            }

            if (perToken > 0 && start > 0)
            {
                await DelayAsync(perToken * SimulatorResponder.EstimateTokens(length), engine, aborted).ConfigureAwait(false);
            }

            ChatCompletionWriter.WriteChunk(pipe, completion, ChunkKind.Content, content.AsSpan(start, length));
            await pipe.FlushAsync(aborted).ConfigureAwait(false);
            start += length;
        }

        ChatCompletionWriter.WriteChunk(pipe, completion, ChunkKind.Finish);
        if (completion.IncludeUsage)
        {
            ChatCompletionWriter.WriteChunk(pipe, completion, ChunkKind.Usage);
        }

        ChatCompletionWriter.WriteDone(pipe);
        await pipe.FlushAsync(aborted).ConfigureAwait(false);
    }

    private static async Task HangAsync(HttpContext context, SimulatorEngine engine)
    {
        engine.Stats.CountHung();
        using var hang = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, engine.Stopping);
        try
        {
            await Task.Delay(Timeout.Infinite, hang.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The client gave up, or the server is stopping: both end the hang.
        }

        if (!context.RequestAborted.IsCancellationRequested)
        {
            // Stopping: drop the connection rather than answer, as a hung service would.
            context.Abort();
        }
    }

    private static double FirstTokenLatency(SimulatorEngine engine)
    {
        var options = engine.Options;
        double latency = options.LatencyMs;
        if (options.LatencyJitterMs > 0)
        {
            // Box-Muller: a standard normal draw scaled by the configured deviation.
            var u1 = 1.0 - Random.Shared.NextDouble();
            var u2 = Random.Shared.NextDouble();
            latency += options.LatencyJitterMs * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
        }

        return Math.Max(0, latency);
    }

    private static Task DelayAsync(double milliseconds, SimulatorEngine engine, CancellationToken cancellationToken)
        => milliseconds >= 0.5
            ? Task.Delay(TimeSpan.FromMilliseconds(milliseconds), engine.TimeProvider, cancellationToken)
            : Task.CompletedTask;

    internal static void SetRemainingHeaders(HttpResponse response, RateLimitDecision decision)
    {
        if (decision.RemainingRequests is { } requests)
        {
            response.Headers["x-ratelimit-remaining-requests"] = requests.ToString(CultureInfo.InvariantCulture);
        }

        if (decision.RemainingTokens is { } tokens)
        {
            response.Headers["x-ratelimit-remaining-tokens"] = tokens.ToString(CultureInfo.InvariantCulture);
        }
    }

    internal static Task SendTooManyRequestsAsync(HttpResponse response, TimeSpan retryAfter, CancellationToken cancellationToken)
    {
        var milliseconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalMilliseconds));
        var seconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds));
        response.Headers[HeaderNames.RetryAfter] = seconds.ToString(CultureInfo.InvariantCulture);
        response.Headers["retry-after-ms"] = milliseconds.ToString(CultureInfo.InvariantCulture);
        return SendErrorAsync(response, StatusCodes.Status429TooManyRequests, "429",
            string.Create(CultureInfo.InvariantCulture, $"Rate limit is exceeded. Try again in {seconds} seconds."), cancellationToken);
    }

    private static async Task SendRawErrorAsync(HttpResponse response, int status, string body, CancellationToken cancellationToken)
    {
        response.StatusCode = status;
        response.ContentType = body.TrimStart().StartsWith('{') ? "application/json" : "text/plain; charset=utf-8";
        await response.WriteAsync(body, cancellationToken).ConfigureAwait(false);
    }

    internal static async Task SendErrorAsync(HttpResponse response, int status, string code, string message, CancellationToken cancellationToken)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        ChatCompletionWriter.WriteError(response.BodyWriter, response, code, message);
        await response.BodyWriter.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
