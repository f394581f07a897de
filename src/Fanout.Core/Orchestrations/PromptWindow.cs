using Fanout.Core.Activities;
using Fanout.Core.Models;
using Fanout.Core.Storage;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Fanout.Core.Orchestrations;

/// <summary>
/// The sliding window: keep at most <c>window</c> prompt activities in flight over a range of lines, start the next
/// as soon as any finishes, hand long throttling waits to durable timers, stop starting new ones on cancel.
/// Orchestrator code: no I/O, no clocks but the context's, no SemaphoreSlim.
/// </summary>
public static class PromptWindow
{
    /// <summary>Name of the external event that cancels a batch.</summary>
    public const string CancelEvent = "cancel";

    /// <summary>Retries of an activity that failed outright (storage trouble), before its line is given up.</summary>
    public static readonly TaskOptions ActivityRetry = new(new TaskRetryOptions(new RetryPolicy(
        maxNumberOfAttempts: 8, firstRetryInterval: TimeSpan.FromSeconds(1), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromSeconds(30))));

    /// <summary>How long a line whose activity failed through its whole retry policy waits before it is run again.</summary>
    public static readonly TimeSpan ActivityFailedRetryDelay = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many times a line whose activity failed through its whole retry policy (~90 s each) is run again before it
    /// is given up: rides out several minutes of storage trouble without holding a batch for an hour on a line that
    /// can never run.
    /// </summary>
    public const int ActivityFailedRetries = 3;

    /// <summary>
    /// Runs lines [start, start+count), or only <paramref name="lines"/> when given, and returns their counts;
    /// <paramref name="cancel"/> completes when the batch is cancelled. With a <see cref="ChunkInput.TokenBudget"/>, no
    /// line is sent once the usage of the answers stored so far reaches it (an activity reports its usage only after
    /// its result line is stored, and replay rebuilds the same counts, so a crash cannot lose track of what was
    /// spent); the calls already in flight finish, so the overshoot is at most the window's calls.
    /// </summary>
    public static async Task<(BatchCounts Counts, bool Cancelled)> RunAsync(
        TaskOrchestrationContext context,
        ChunkInput chunk,
        Task cancel,
        Action<BatchCounts, int>? onProgress = null,
        IReadOnlyList<int>? lines = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(chunk);
        var window = new AdaptiveWindow(Math.Max(1, chunk.Window));
        var tasks = new TaskWindow<PromptWorkItem>();
        var ready = new Queue<PromptWorkItem>();
        var counts = new BatchCounts();
        var next = 0;
        var end = lines?.Count ?? chunk.Count;
        var cancelled = false;
        var budgetReached = chunk.TokenBudget <= 0;

        // A 429's Retry-After says when the quota has room again: start nothing new before then (one timer for the
        // whole window) instead of sending calls that would only be throttled too.
        var pauseUntil = DateTime.MinValue;
        Task? pause = null;

        while (true)
        {
            // Completions that arrived together with the cancel event are handled first (Task.WhenAny picks the
            // first finished task in list order), so look at the event itself before starting anything new.
            cancelled |= cancel.IsCompleted;
            while (!cancelled && !budgetReached && tasks.Running < window.Current && pause is null)
            {
                PromptWorkItem item;
                if (ready.Count > 0)
                {
                    item = ready.Dequeue();
                }
                else if (next < end)
                {
                    var index = lines?[next] ?? chunk.Start + next;
                    next++;
                    item = new PromptWorkItem(chunk.BatchId, index, chunk.ChunkSize, chunk.Deployment, Cap: chunk.Cap, AllowStandard: chunk.AllowStandard, Cache: chunk.Cache);
                }
                else
                {
                    break;
                }

                tasks.Run(context.CallActivityAsync<PromptOutcome>(nameof(PromptActivity), item, ActivityRetry), item);
            }

            if (tasks.Running == 0 && (cancelled || budgetReached || (tasks.Waiting == 0 && ready.Count == 0 && next >= end)))
            {
                break;
            }

            var step = cancelled ? await tasks.NextAsync() : await tasks.NextAsync(cancel, pause);
            if (step.Kind == WindowEventKind.Signal)
            {
                // The cancel event is seen at the top of the loop; the pause has ended.
                pause = step.Task == pause ? null : pause;
                continue;
            }

            if (step.Kind == WindowEventKind.Waited)
            {
                ready.Enqueue(step.Item!);
                continue;
            }

            var task = (Task<PromptOutcome>)step.Task;
            var workItem = step.Item!;
            PromptOutcome outcome;
            var activityFailed = false;
            try
            {
                outcome = await task;
            }
            catch (TaskFailedException)
            {
                // The activity itself kept failing through its retry policy (storage trouble, not the model): try the
                // line again after a durable timer, as for a transient model error, until the durable retries run
                // out; only then is it given up (and filled in at finalize).
                activityFailed = true;
                outcome = workItem.Failures < ActivityFailedRetries && workItem.Attempt < chunk.MaxDurableRetries
                    ? new PromptOutcome(workItem.Index, false, RetryAfterMs: (int)ActivityFailedRetryDelay.TotalMilliseconds)
                    : new PromptOutcome(workItem.Index, false, OutputLines.InternalError);
            }

            if (outcome.Index != workItem.Index)
            {
                // A result for another line: Durable Task matches results to calls by sequence number only, so after
                // an episode that was lost (a crash between sending its calls and saving its history) and replayed
                // with its messages in another order, a call's number can come back with an older call's result.
                // That line's result is stored by the activity that ran it; this one's is not: run it again.
                context.CreateReplaySafeLogger(typeof(PromptWindow).FullName!)?.LogWarning(
                    "Batch {BatchId}: the call for line {Index} came back with the result of line {Other}; it runs again",
                    chunk.BatchId, workItem.Index, outcome.Index);
                ready.Enqueue(workItem);
                continue;
            }

            counts = counts.Add(outcome);
            budgetReached |= counts.PromptTokens + counts.CompletionTokens >= chunk.TokenBudget;
            if (activityFailed)
            {
                // Says nothing about the model's quota: the window stays as it is.
            }
            else if (outcome.Deferred)
            {
                // Held back by the activity's throttle gate, which a 429 already counted here had closed: one
                // congestion event must not halve the window once per line that was waiting behind it.
            }
            else if (outcome.Throttled)
            {
                window.OnThrottled();
            }
            else
            {
                window.OnSuccess();
            }

            if (outcome.WantsRetry)
            {
                var attempt = workItem.Attempt + 1;
                var retry = workItem with { Attempt = attempt, LastAttempt = attempt >= chunk.MaxDurableRetries, Failures = workItem.Failures + (activityFailed ? 1 : 0) };
                var due = context.CurrentUtcDateTime.AddMilliseconds(outcome.RetryAfterMs);
                tasks.Wait(context.CreateTimer(due, CancellationToken.None), retry);
                if (outcome.Throttled && due > pauseUntil)
                {
                    pauseUntil = due;
                    pause = context.CreateTimer(due, CancellationToken.None);
                }
            }

            onProgress?.Invoke(counts, window.Current);
        }

        return (counts, cancelled);
    }
}
