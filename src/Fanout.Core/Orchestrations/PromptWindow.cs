using Fanout.Core.Activities;
using Fanout.Core.Models;
using Fanout.Core.Storage;
using Microsoft.DurableTask;

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

    /// <summary>Runs lines [start, start+count) and returns their counts; <paramref name="cancel"/> completes when the batch is cancelled.</summary>
    public static async Task<(BatchCounts Counts, bool Cancelled)> RunAsync(
        TaskOrchestrationContext context,
        ChunkInput chunk,
        Task cancel,
        Action<BatchCounts, int>? onProgress = null)
    {
        var window = new AdaptiveWindow(Math.Max(1, chunk.Window));
        var inFlight = new Dictionary<Task<PromptOutcome>, PromptWorkItem>();
        var timers = new Dictionary<Task, PromptWorkItem>();
        var ready = new Queue<PromptWorkItem>();
        var counts = new BatchCounts();
        var next = chunk.Start;
        var end = chunk.Start + chunk.Count;
        var cancelled = false;

        // A 429's Retry-After says when the quota has room again: start nothing new before then (one timer for the
        // whole window) instead of sending calls that would only be throttled too.
        var pauseUntil = DateTime.MinValue;
        Task? pause = null;

        while (true)
        {
            // Completions that arrived together with the cancel event are handled first (Task.WhenAny picks the
            // first finished task in list order), so look at the event itself before starting anything new.
            cancelled |= cancel.IsCompleted;
            while (!cancelled && inFlight.Count < window.Current && pause is null)
            {
                PromptWorkItem item;
                if (ready.Count > 0)
                {
                    item = ready.Dequeue();
                }
                else if (next < end)
                {
                    item = new PromptWorkItem(chunk.BatchId, next++, chunk.ChunkSize, chunk.Deployment);
                }
                else
                {
                    break;
                }

                inFlight.Add(context.CallActivityAsync<PromptOutcome>(nameof(PromptActivity), item, ActivityRetry), item);
            }

            if (inFlight.Count == 0 && (cancelled || (timers.Count == 0 && ready.Count == 0 && next >= end)))
            {
                break;
            }

            var waitOn = new List<Task>(inFlight.Count + timers.Count + 2);
            waitOn.AddRange(inFlight.Keys);
            waitOn.AddRange(timers.Keys);
            if (!cancelled)
            {
                waitOn.Add(cancel);
                if (pause is not null)
                {
                    waitOn.Add(pause);
                }
            }

            var done = await Task.WhenAny(waitOn);
            if (done == cancel)
            {
                cancelled = true;
                continue;
            }

            if (done == pause)
            {
                pause = null;
                continue;
            }

            if (timers.Remove(done, out var waited))
            {
                ready.Enqueue(waited);
                continue;
            }

            var task = (Task<PromptOutcome>)done;
            inFlight.Remove(task, out var workItem);
            PromptOutcome outcome;
            try
            {
                outcome = await task;
            }
            catch (TaskFailedException)
            {
                // The activity itself kept failing (not the model): the line is filled in at finalize.
                outcome = new PromptOutcome(workItem!.Index, false, OutputLines.InternalError);
            }

            counts = counts.Add(outcome);
            if (outcome.Deferred)
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
                var attempt = workItem!.Attempt + 1;
                var retry = workItem with { Attempt = attempt, LastAttempt = attempt >= chunk.MaxDurableRetries };
                var due = context.CurrentUtcDateTime.AddMilliseconds(outcome.RetryAfterMs);
                timers.Add(context.CreateTimer(due, CancellationToken.None), retry);
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
