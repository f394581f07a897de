using System.Runtime.InteropServices;
using System.Text.Json;
using Fanout.Simulator.Faults;

namespace Fanout.Simulator.Apis;

/// <summary>
/// Serves <c>POST …/embeddings</c> like the chat route: quota (tokens of the input), injected faults, latency, then a
/// deterministic answer (<see cref="SimulatorEmbeddings.VectorFor"/> per input, OpenAI's list shape and usage).
/// </summary>
internal static class EmbeddingsEndpoint
{
    public static async Task HandleAsync(HttpContext context, SimulatorEngine engine, string? routeDeployment)
    {
        var stats = engine.Stats;
        var aborted = context.RequestAborted;
        var response = context.Response;
        stats.Enter();
        try
        {
            var (request, error) = await ReadAsync(context.Request, aborted).ConfigureAwait(false);
            response.Headers["x-request-id"] = Guid.NewGuid().ToString();
            if (request is null)
            {
                stats.CountBadRequest();
                await ChatCompletionsEndpoint.SendErrorAsync(response, StatusCodes.Status400BadRequest, "BadRequest", error!, aborted).ConfigureAwait(false);
                return;
            }

            var options = engine.Options;
            var deployment = routeDeployment ?? request.Model ?? "default";
            var promptTokens = request.Inputs.Sum(SimulatorResponder.EstimateTokens);
            if (engine.InBurst429(out var burstLeft))
            {
                stats.CountRateLimited();
                await ChatCompletionsEndpoint.SendTooManyRequestsAsync(response, burstLeft, aborted).ConfigureAwait(false);
                return;
            }

            if (options.RequestsPerMinute > 0 || options.TokensPerMinute > 0)
            {
                var scale = options.QuotaWindowSeconds / 60.0;
                var decision = engine.Limiter.TryAcquire(
                    deployment,
                    promptTokens,
                    (int)Math.Ceiling(options.RequestsPerMinute * scale),
                    (long)Math.Ceiling(options.TokensPerMinute * scale),
                    TimeSpan.FromSeconds(options.QuotaWindowSeconds));
                ChatCompletionsEndpoint.SetRemainingHeaders(response, decision);
                if (!decision.IsAdmitted)
                {
                    stats.CountRateLimited();
                    await ChatCompletionsEndpoint.SendTooManyRequestsAsync(response, decision.RetryAfter, aborted).ConfigureAwait(false);
                    return;
                }

                stats.CountAdmitted(promptTokens);
            }

            var digest = PromptDigest.Compute(string.Join('\n', request.Inputs));
            switch (FaultSelector.Select(options, digest.Key, stats))
            {
                case Fault.None:
                    break;
                case Fault.Failure when options.FailureStatusCode == StatusCodes.Status429TooManyRequests:
                    stats.CountRateLimited();
                    await ChatCompletionsEndpoint.SendTooManyRequestsAsync(response, TimeSpan.FromMilliseconds(options.FailureRetryAfterMs), aborted).ConfigureAwait(false);
                    return;
                default:
                    stats.CountFailed();
                    await ChatCompletionsEndpoint.SendErrorAsync(response, StatusCodes.Status503ServiceUnavailable, "ServiceUnavailable",
                        "The service is temporarily unable to process your request. (simulated)", aborted).ConfigureAwait(false);
                    return;
            }

            if (options.LatencyMs > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(options.LatencyMs), engine.TimeProvider, aborted).ConfigureAwait(false);
            }

            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json";
            await using (var writer = new Utf8JsonWriter(response.Body))
            {
                writer.WriteStartObject();
                writer.WriteString("object"u8, "list"u8);
                writer.WriteStartArray("data"u8);
                for (var i = 0; i < request.Inputs.Count; i++)
                {
                    writer.WriteStartObject();
                    writer.WriteString("object"u8, "embedding"u8);
                    writer.WriteNumber("index"u8, i);
                    var vector = SimulatorEmbeddings.VectorFor(request.Inputs[i], request.Dimensions);
                    if (request.Base64)
                    {
                        // encoding_format "base64" (what the OpenAI SDKs ask for): the little-endian float32 bytes.
                        writer.WriteBase64String("embedding"u8, MemoryMarshal.AsBytes(vector.AsSpan()));
                    }
                    else
                    {
                        writer.WriteStartArray("embedding"u8);
                        foreach (var value in vector)
                        {
                            writer.WriteNumberValue(value);
                        }

                        writer.WriteEndArray();
                    }

                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteString("model"u8, request.Model ?? deployment);
                writer.WriteStartObject("usage"u8);
                writer.WriteNumber("prompt_tokens"u8, promptTokens);
                writer.WriteNumber("total_tokens"u8, promptTokens);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            stats.CountSucceeded(digest.Key);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && aborted.IsCancellationRequested)
        {
            stats.CountCancelled();
        }
        finally
        {
            stats.Exit();
        }
    }

    private sealed record EmbeddingsRequest(IReadOnlyList<string> Inputs, string? Model, int Dimensions, bool Base64);

    private static async Task<(EmbeddingsRequest? Request, string? Error)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, default, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            return (null, "The request body is not valid JSON.");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("input", out var input))
            {
                return (null, "'input' is required.");
            }

            var inputs = new List<string>();
            switch (input.ValueKind)
            {
                case JsonValueKind.String:
                    inputs.Add(input.GetString()!);
                    break;
                case JsonValueKind.Array when input.GetArrayLength() > 0:
                    foreach (var item in input.EnumerateArray())
                    {
                        // Strings, or token arrays (the simulator embeds their JSON text).
                        inputs.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : item.GetRawText());
                    }

                    break;
                default:
                    return (null, "'input' must be a string or a non-empty array.");
            }

            var dimensions = SimulatorEmbeddings.DefaultDimensions;
            if (root.TryGetProperty("dimensions", out var d) && d.ValueKind != JsonValueKind.Null
                && (!d.TryGetInt32(out dimensions) || dimensions < 1 || dimensions > SimulatorEmbeddings.MaxDimensions))
            {
                return (null, $"'dimensions' must be an integer from 1 to {SimulatorEmbeddings.MaxDimensions}.");
            }

            var base64 = false;
            if (root.TryGetProperty("encoding_format", out var f) && f.ValueKind != JsonValueKind.Null)
            {
                if (f.ValueKind != JsonValueKind.String || f.GetString() is not ("float" or "base64"))
                {
                    return (null, "'encoding_format' must be \"float\" or \"base64\".");
                }

                base64 = f.GetString() == "base64";
            }

            var model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            return (new EmbeddingsRequest(inputs, model, dimensions, base64), null);
        }
    }
}
