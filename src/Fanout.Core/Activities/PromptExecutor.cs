using System.Text.Json;
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
public sealed partial class PromptExecutor(BatchStore store, ResultSegmentWriter results, IChatCompletionInvoker invoker, BatchCallGate gate, AnswerChecker checker, ResponseCache cache, ILogger<PromptExecutor> logger)
{
    /// <summary>Runs one work item.</summary>
    public Task<PromptOutcome> ExecuteAsync(PromptWorkItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        return gate.RunOnceAsync(item, () => RunAsync(item, cancellationToken), () => LogJoined(logger, item.BatchId, item.Index, item.Attempt));
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
        var byDeployment = Llm.Pool.MemberCall.Sum(result.Calls);
        if (answer.ErrorCode is { } answerError)
        {
            // Refused, or still invalid after the re-asks: a failed line that keeps what its asks spent.
            await StageAsync(item, OutputLines.Error(item.BatchId, item.Index, line.CustomId, answerError, answer.ErrorMessage!), cancellationToken).ConfigureAwait(false);
            telemetry.LineFinished(false, answerError, answer.PromptTokens, answer.CompletionTokens);
            return new PromptOutcome(item.Index, false, answerError, answer.PromptTokens, answer.CompletionTokens, ByDeployment: byDeployment, InvalidOutputs: answer.InvalidOutputs);
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
            return new PromptOutcome(item.Index, true, null, prompt, completion, ByDeployment: byDeployment, InvalidOutputs: answer.InvalidOutputs);
        }

        var throttled = result.Status == 429;
        if (result.IsTransient && !item.LastAttempt)
        {
            // Hand the wait to the orchestrator: a durable timer, not a held activity slot.
            var wait = result.RetryAfter ?? Backoff(item.Attempt);
            LogHandingBack(logger, item.BatchId, item.Index, result.Status, (int)wait.TotalMilliseconds);
            telemetry.HandedBack(wait);
            return new PromptOutcome(item.Index, false, null, RetryAfterMs: Math.Max(1, (int)wait.TotalMilliseconds), Throttled: throttled, Deferred: result.Deferred, ByDeployment: byDeployment, InvalidOutputs: answer.InvalidOutputs);
        }

        var (code, message) = ReadError(result);
        await StageAsync(item, OutputLines.Error(item.BatchId, item.Index, line.CustomId, code, message), cancellationToken).ConfigureAwait(false);
        telemetry.LineFinished(false, code);
        return new PromptOutcome(item.Index, false, code, Throttled: throttled, ByDeployment: byDeployment, InvalidOutputs: answer.InvalidOutputs);
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
                message = e.TryGetProperty("message", out var m) ? m.GetString() : null;
            }
        }
        catch (JsonException)
        {
        }

        return result.Status switch
        {
            429 => ("rate_limit_exhausted", message ?? "The deployment kept answering 429 after all retries."),
            0 => ("timeout", message ?? "The call timed out after all retries."),
            >= 500 => ("server_error", message ?? $"The service answered {result.Status} after all retries."),
            _ => (string.IsNullOrEmpty(code) ? $"http_{result.Status}" : code, message ?? $"The service answered {result.Status}."),
        };
    }

    private Task StageAsync(PromptWorkItem item, byte[] line, CancellationToken cancellationToken)
        => results.WriteAsync(item.BatchId, item.Index, item.ChunkSize, line, cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {BatchId} line {Index} (attempt {Attempt}) arrived again while its first copy runs: it waits for that copy's outcome instead of calling the model twice")]
    private static partial void LogJoined(ILogger logger, string batchId, int index, int attempt);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Batch {BatchId} line {Index}: status {Status}, handing a {WaitMs} ms wait to the orchestrator")]
    private static partial void LogHandingBack(ILogger logger, string batchId, int index, int status, int waitMs);
}
