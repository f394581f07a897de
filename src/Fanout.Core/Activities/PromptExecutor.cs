using System.Text.Json;
using Fanout.Core.Attempts;
using Fanout.Core.Cache;
using Fanout.Core.Llm;
using Fanout.Core.Models;
using Fanout.Core.Storage;
using Fanout.Core.StructuredOutputs;
using Fanout.Core.Telemetry;
using Microsoft.Extensions.Logging;

namespace Fanout.Core.Activities;

/// <summary>
/// The work of one prompt: read its line by index, call the model, stage its result line by index, report counts.
/// At-least-once safe: running it twice writes the line twice, and the finalize step keeps exactly one copy; a copy
/// that arrives while the first still runs joins it instead of calling the model again (<see cref="BatchCallGate"/>).
/// With the batch's <c>cache</c> on, a line is first looked up in the response cache (<see cref="ResponseCache"/>): a
/// stored answer, or its twin's, is written as a cached line without a call.
/// </summary>
/// <remarks>
/// Every HTTP attempt the call makes is counted in the batch's journal by the client pipeline (<paramref name="attempts"/>,
/// see <see cref="AttemptLedger"/>); the outcome reported here carries no call counts of its own.
/// </remarks>
public sealed partial class PromptExecutor(
    BatchStore store, ResultSegmentWriter results, IChatCompletionInvoker invoker, BatchCallGate gate, AnswerChecker checker, ResponseCache cache,
    ILogger<PromptExecutor> logger, AttemptLedger? attempts = null)
{
    /// <summary>Most characters of an endpoint's own error text kept in a line's <c>error.message</c>.</summary>
    public const int MaxErrorTextChars = 1000;

    /// <summary>Runs one work item.</summary>
    public Task<PromptOutcome> ExecuteAsync(PromptWorkItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        return gate.RunOnceAsync(item, () => CountedAsync(item, cancellationToken), () => LogJoined(logger, item.BatchId, item.Index, item.Attempt));
    }

    private async Task<PromptOutcome> CountedAsync(PromptWorkItem item, CancellationToken cancellationToken)
    {
        if (attempts is null)
        {
            return await RunAsync(item, cancellationToken).ConfigureAwait(false);
        }

        using var scope = attempts.Begin(item.BatchId);
        var outcome = await RunAsync(item, cancellationToken).ConfigureAwait(false);

        // The last attempt's outcome (429, failure, tokens) is durable before the orchestrator hears of the line.
        await scope.FlushAsync().ConfigureAwait(false);
        return outcome;
    }

    private async Task<PromptOutcome> RunAsync(PromptWorkItem item, CancellationToken cancellationToken)
    {
        using var telemetry = CallRecording.StartLine();
        var line = await store.ReadPreparedLineAsync(item.BatchId, item.Index, item.ChunkSize, cancellationToken).ConfigureAwait(false);
        if (line.IsError)
        {
            await StageAsync(item, OutputLines.Error(item.BatchId, item.Index, line.CustomId, line.ErrorCode!, line.ErrorMessage ?? line.ErrorCode!), cancellationToken).ConfigureAwait(false);
            telemetry.LineFinished(false, line.ErrorCode);
            return new PromptOutcome(item.Index, false, line.ErrorCode);
        }

        var deployment = line.Model ?? item.Deployment;
        Llm.Pool.StandardSpend.Set(item.AllowStandard);
        await using var lookup = item.Cache
            ? await cache.LookupAsync(RequestKey.Of(RequestKey.UrlOf(line.IsEmbedding, line.IsResponse), deployment, line.Body.Span), cancellationToken).ConfigureAwait(false)
            : null;
        if (lookup?.Answer is { } cached)
        {
            await StageAsync(item, CachedLines.Success(item.BatchId, item.Index, line.CustomId, cached), cancellationToken).ConfigureAwait(false);
            telemetry.LineFinished(true, null);
            return new PromptOutcome(item.Index, true, Cached: true);
        }

        var format = line.IsEmbedding ? null : AnswerFormat.Read(line.Body.Span, line.IsResponse);
        CheckedAnswer answer;
        using (await gate.EnterAsync(item.BatchId, item.Cap, cancellationToken).ConfigureAwait(false))
        {
            telemetry.CallStarting(item, deployment);
            answer = await checker.CallAsync(
                () => line.IsEmbedding ? invoker.EmbedAsync(deployment, line.Body, cancellationToken)
                    : line.IsResponse ? invoker.RespondAsync(deployment, line.Body, cancellationToken)
                    : invoker.CompleteAsync(deployment, line.Body, cancellationToken),
                format,
                line.IsResponse).ConfigureAwait(false);
        }

        var result = answer.Result;
        telemetry.CallEnded(result);
        if (answer.ErrorCode is { } answerError)
        {
            // Refused, or still invalid after the re-asks: a failed line that keeps what its asks spent.
            await StageAsync(item, OutputLines.Error(item.BatchId, item.Index, line.CustomId, answerError, answer.ErrorMessage!), cancellationToken).ConfigureAwait(false);
            telemetry.LineFinished(false, answerError, answer.PromptTokens, answer.CompletionTokens);
            return new PromptOutcome(item.Index, false, answerError, answer.PromptTokens, answer.CompletionTokens, InvalidOutputs: answer.InvalidOutputs);
        }

        if (result.IsSuccess)
        {
            var (prompt, completion) = format is null ? OutputLines.ReadUsage(result.Body.Span) : (answer.PromptTokens, answer.CompletionTokens);
            if (lookup is not null)
            {
                await lookup.StoreAsync(new CachedResponse(result.Status, result.RequestId ?? string.Empty, result.Body), cancellationToken).ConfigureAwait(false);
            }

            await StageAsync(item, OutputLines.Success(item.BatchId, item.Index, line.CustomId, result.RequestId, result.Status, result.Body.Span), cancellationToken).ConfigureAwait(false);
            telemetry.LineFinished(true, null, prompt, completion);
            return new PromptOutcome(item.Index, true, null, prompt, completion, InvalidOutputs: answer.InvalidOutputs);
        }

        var throttled = result.Status == 429;
        if (result.IsTransient && !item.LastAttempt)
        {
            // Hand the wait to the orchestrator: a durable timer, not a held activity slot.
            var wait = result.RetryAfter ?? Backoff(item.Attempt);
            LogHandingBack(logger, item.BatchId, item.Index, result.Status, (int)wait.TotalMilliseconds);
            telemetry.HandedBack(wait);
            return new PromptOutcome(item.Index, false, null, RetryAfterMs: Math.Max(1, (int)wait.TotalMilliseconds), Throttled: throttled, Deferred: result.Deferred, InvalidOutputs: answer.InvalidOutputs);
        }

        var (code, message) = ReadError(result);
        await StageAsync(item, OutputLines.Error(item.BatchId, item.Index, line.CustomId, code, message), cancellationToken).ConfigureAwait(false);
        telemetry.LineFinished(false, code);
        return new PromptOutcome(item.Index, false, code, Throttled: throttled, InvalidOutputs: answer.InvalidOutputs);
    }

    /// <summary>Exponential backoff with a cap, for transient failures that came without a Retry-After.</summary>
    internal static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(Math.Min(60_000, 1000 * Math.Pow(2, Math.Min(attempt, 10))));

    internal static (string Code, string Message) ReadError(ChatCallResult result)
    {
        string? code = null;
        string? message = null;
        try
        {
            using var doc = JsonDocument.Parse(result.Body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object)
            {
                code = e.TryGetProperty("code", out var c) ? c.ToString() : null;
                message = e.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            }
        }
        catch (JsonException)
        {
        }

        // Not OpenAI-shaped ({"detail": …}, {"error": "…"}, plain text, HTML): the endpoint's own words, cut short.
        var own = message is null ? EndpointText(result.Body.Span) : null;
        return result.Status switch
        {
            429 => ("rate_limit_exhausted", message ?? Said("The deployment kept answering 429 after all retries", own)),
            0 => ("timeout", message ?? Said("The call timed out after all retries", own)),
            >= 500 => ("server_error", message ?? Said($"The service answered {result.Status} after all retries", own)),
            _ => (string.IsNullOrEmpty(code) ? $"http_{result.Status}" : code, message ?? Said($"The service answered {result.Status}", own)),
        };
    }

    private static string Said(string what, string? own) => own is null ? what + "." : $"{what}: {own}";

    /// <summary>The first <see cref="MaxErrorTextChars"/> characters of an error body (never its headers); null when empty.</summary>
    internal static string? EndpointText(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return null;
        }

        var text = System.Text.Encoding.UTF8.GetString(body.Length > MaxErrorTextChars * 4 ? body[..(MaxErrorTextChars * 4)] : body).Trim();
        if (text.Length > MaxErrorTextChars)
        {
            var cut = char.IsHighSurrogate(text[MaxErrorTextChars - 1]) ? MaxErrorTextChars - 1 : MaxErrorTextChars;
            text = text[..cut];
        }

        return text.Length == 0 ? null : text;
    }

    private Task StageAsync(PromptWorkItem item, byte[] line, CancellationToken cancellationToken)
        => results.WriteAsync(item.BatchId, item.Index, item.ChunkSize, line, cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {BatchId} line {Index} (attempt {Attempt}) arrived again while its first copy runs: it waits for that copy's outcome instead of calling the model twice")]
    private static partial void LogJoined(ILogger logger, string batchId, int index, int attempt);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Batch {BatchId} line {Index}: status {Status}, handing a {WaitMs} ms wait to the orchestrator")]
    private static partial void LogHandingBack(ILogger logger, string batchId, int index, int status, int waitMs);
}
