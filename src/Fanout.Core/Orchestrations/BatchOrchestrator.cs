using Fanout.Core.Activities;
using Fanout.Core.Models;
using Fanout.Core.Telemetry;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Fanout.Core.Orchestrations;

/// <summary>
/// One batch: prepare (blob drop), run the lines with a capped sliding window (inline for one chunk, as chunk
/// sub-orchestrations sharing the cap for more), then commit the ordered output.
/// </summary>
public sealed class BatchOrchestrator : TaskOrchestrator<BatchInput, BatchResult>
{
    /// <summary>How many times lines found without a result before finalize are run again.</summary>
    public const int RepairRounds = 2;

    /// <summary>
    /// Chunks one execution of a batch orchestration starts before it continues as new (with its counters): its
    /// history holds at most this many chunk orchestrations, whatever the size of the batch (100 × 500 lines = 50,000).
    /// </summary>
    public const int ChunksPerExecution = 100;

    /// <summary>Instance id of chunk <paramref name="chunk"/> of <paramref name="batchId"/>.</summary>
    public static string ChunkInstanceId(string batchId, int chunk) => $"{batchId}{ChunkSeparator}{chunk:D5}";

    /// <summary>What separates a batch id from its chunk number in a chunk orchestration's instance id.</summary>
    public const string ChunkSeparator = "~c";

    /// <summary>How many chunks run side by side and the window of each slot, splitting the cap exactly.</summary>
    public static int[] SlotWindows(int maxConcurrency, int chunkCount, int minChunkWindow)
    {
        var slots = Math.Max(1, Math.Min(chunkCount, maxConcurrency / Math.Max(1, minChunkWindow)));
        var windows = new int[slots];
        for (var i = 0; i < slots; i++)
        {
            windows[i] = (maxConcurrency / slots) + (i < maxConcurrency % slots ? 1 : 0);
        }

        return windows;
    }

    /// <inheritdoc />
    public override async Task<BatchResult> RunAsync(TaskOrchestrationContext context, BatchInput input)
    {
        context.SetCustomStatus(input.Resume is { } resume
            ? new BatchProgress(BatchStatus.InProgress, input.Prepared?.Total ?? 0, resume.Counts, 0)
            : new BatchProgress(BatchStatus.Validating, input.Prepared?.Total ?? 0, new BatchCounts(), 0));
        var cancel = context.WaitForExternalEvent<string>(PromptWindow.CancelEvent);

        var prepared = input.Prepared ?? await context.CallActivityAsync<PreparedBatch>(
            nameof(PrepareBatchActivity), new PrepareInput(input.BatchId, input.Source!, input.ChunkSize, input.Endpoint), PromptWindow.ActivityRetry);

        if (prepared.FatalErrorCode is not null)
        {
            var failed = new BatchResult(BatchStatus.Failed, 0, new BatchCounts(), Unix(context), prepared.FatalErrorCode, prepared.FatalErrorMessage);
            await context.CallActivityAsync<bool>(nameof(FinalizeBatchActivity), new FinalizeInput(input, prepared, failed), PromptWindow.ActivityRetry);
            return failed;
        }

        // A deadline and a batch member in the pool: the Batch API first (its own orchestration), the rest live.
        var upstream = await RunUpstreamAsync(context, input, prepared, cancel);
        if (upstream is { Offloaded: true })
        {
            input = input with { SkipAnswered = true };
        }

        BatchCounts counts;
        bool cancelled;
        if (upstream is { Cancelled: true })
        {
            (counts, cancelled) = (upstream.Counts, true);
        }
        else if (prepared.ChunkCount <= 1)
        {
            (counts, cancelled) = await RunInlineAsync(context, input, prepared, cancel, upstream?.Counts ?? new BatchCounts());
        }
        else
        {
            int? continueAt;
            (counts, cancelled, continueAt) = await RunChunksAsync(context, input, prepared, cancel, upstream?.Counts ?? new BatchCounts());
            if (continueAt is { } next)
            {
                // The next ChunksPerExecution chunks run in a fresh execution (and history) of this orchestration; a
                // cancel event that arrived meanwhile is carried over.
                context.ContinueAsNew(input with { Prepared = prepared, Resume = new ChunkResume(next, counts) }, preserveUnprocessedEvents: true);
                return new BatchResult(BatchStatus.InProgress, prepared.Total, counts, Unix(context));
            }
        }

        if (!cancelled)
        {
            (counts, cancelled) = await RepairAsync(context, input, prepared, counts, cancel);
        }

        var status = cancelled ? BatchStatus.Cancelled : BatchStatus.Completed;
        context.SetCustomStatus(new BatchProgress(cancelled ? BatchStatus.Cancelling : BatchStatus.Finalizing, prepared.Total, counts, 0));
        var result = new BatchResult(status, prepared.Total, counts, Unix(context), BudgetExceeded: TokenBudgetLeft(input, counts) <= 0);
        await context.CallActivityAsync<bool>(nameof(FinalizeBatchActivity), new FinalizeInput(input, prepared, result), PromptWindow.ActivityRetry);
        if (!context.IsReplaying)
        {
            // Telemetry, like a replay-safe log: recorded once, with the orchestration's own clock.
            BatchTracing.RecordBatch(input.BatchId, DateTimeOffset.FromUnixTimeSeconds(input.CreatedAt).UtcDateTime, context.CurrentUtcDateTime, result);
        }

        return result;
    }

    /// <summary>
    /// Asks storage which lines have no result line (whatever the reason: a chunk orchestration that failed as a whole,
    /// a line whose activity kept failing) and runs those again with the whole cap, up to <see cref="RepairRounds"/>
    /// times; what is still missing then is filled in at finalize. The counters of answered and failed lines come from
    /// storage, the truth, rather than from what the orchestrations saw.
    /// </summary>
    private static async Task<(BatchCounts, bool)> RepairAsync(TaskOrchestrationContext context, BatchInput input, PreparedBatch prepared, BatchCounts counts, Task cancel)
    {
        for (var round = 0; ; round++)
        {
            var check = await context.CallActivityAsync<ResultCheck>(
                nameof(CheckResultsActivity), new ResultCheckInput(input.BatchId, prepared), PromptWindow.ActivityRetry);
            // Lines and tokens from the stored results; calls, 429s and failures from the attempt journals (both in check).
            var stored = check.Stored with { Retries = counts.Retries, InvalidOutputs = counts.InvalidOutputs };
            if (check.Missing.Count == 0)
            {
                return (stored, false);
            }

            var budgetLeft = TokenBudgetLeft(input, stored);
            if (round == RepairRounds || budgetLeft <= 0)
            {
                // Still without a result, or the budget (checked against what is stored) is used up: filled in at
                // finalize as failed lines.
                return (stored with { Failed = stored.Failed + check.Missing.Count }, false);
            }

            var repair = new ChunkInput(input.BatchId, input.Deployment, prepared.ChunkSize, 0, 0, check.Missing.Count, input.MaxConcurrency, input.MaxDurableRetries, budgetLeft, input.MaxConcurrency, input.AllowStandard, input.Cache);
            context.SetCustomStatus(new BatchProgress(BatchStatus.InProgress, prepared.Total, stored, repair.Window));
            var (again, cancelled) = await PromptWindow.RunAsync(context, repair, cancel, (c, window) =>
                context.SetCustomStatus(new BatchProgress(cancel.IsCompleted ? BatchStatus.Cancelling : BatchStatus.InProgress, prepared.Total, stored.Add(c), window)), check.Missing);
            counts = counts with { Retries = counts.Retries + again.Retries, InvalidOutputs = counts.InvalidOutputs + again.InvalidOutputs };
            if (cancelled)
            {
                return (stored.Add(again with { Throttled = 0 }), true);
            }
        }
    }

    /// <summary>Tokens the batch may still spend given <paramref name="spent"/>; null without a budget.</summary>
    internal static long? TokenBudgetLeft(BatchInput input, BatchCounts spent)
        => input.MaxTotalTokens - (spent.PromptTokens + spent.CompletionTokens);

    /// <summary>How long an activity left behind by a failed chunk can still hold a call to the model.</summary>
    internal static TimeSpan MaxCallTime(BatchInput input) => TimeSpan.FromSeconds(input.MaxCallSeconds > 0 ? input.MaxCallSeconds : 900);

    private static long Unix(TaskOrchestrationContext context) => new DateTimeOffset(context.CurrentUtcDateTime, TimeSpan.Zero).ToUnixTimeSeconds();

    /// <summary>
    /// The Batch API phase (<see cref="UpstreamOrchestrator"/>) for a batch with a deadline, on its first execution; null
    /// when the batch has no deadline or a token budget (a budget is counted live, line by line). While it waits the batch
    /// reports its upstream answers as a running chunk; a cancel of the batch is passed on to it.
    /// </summary>
    private static async Task<Upstream.UpstreamOutcome?> RunUpstreamAsync(TaskOrchestrationContext context, BatchInput input, PreparedBatch prepared, Task cancel)
    {
        if (input.Deadline is null || input.Resume is not null || input.SkipAnswered || input.MaxTotalTokens is not null)
        {
            return null;
        }

        context.SetCustomStatus(new BatchProgress(BatchStatus.InProgress, prepared.Total, new BatchCounts(), 0, [UpstreamChunk]));
        var instance = ChunkInstanceId(input.BatchId, UpstreamChunk);
        var upstream = context.CallSubOrchestratorAsync<Upstream.UpstreamOutcome>(
            nameof(UpstreamOrchestrator), new Upstream.UpstreamInput(input, prepared), new SubOrchestrationOptions { InstanceId = instance });
        if (await Task.WhenAny(upstream, cancel) != upstream)
        {
            context.SendEvent(instance, PromptWindow.CancelEvent, "cancel");
        }

        try
        {
            return await upstream;
        }
        catch (TaskFailedException e)
        {
            // The Batch API kept failing (unreachable, refused): every line without a stored answer runs live.
            context.CreateReplaySafeLogger(typeof(BatchOrchestrator).FullName!)?.LogWarning(
                "Batch {BatchId}: the Batch API phase failed ({Error}); the lines without an answer run live", input.BatchId, e.Message);
            return new Upstream.UpstreamOutcome(true, new BatchCounts(), PulledBack: true);
        }
    }

    /// <summary>The chunk number the Batch API phase reports under while it runs (<see cref="ChunkInstanceId"/> of it is its instance id).</summary>
    public const int UpstreamChunk = 99_999;

    private static async Task<(BatchCounts, bool)> RunInlineAsync(TaskOrchestrationContext context, BatchInput input, PreparedBatch prepared, Task cancel, BatchCounts before)
    {
        var chunk = new ChunkInput(input.BatchId, input.Deployment, prepared.ChunkSize, 0, 0, prepared.Total, input.MaxConcurrency, input.MaxDurableRetries, input.MaxTotalTokens, input.MaxConcurrency, input.AllowStandard, input.Cache, input.SkipAnswered);
        context.SetCustomStatus(new BatchProgress(BatchStatus.InProgress, prepared.Total, before, chunk.Window));
        var started = context.CurrentUtcDateTime;
        var lines = await ChunkOrchestrator.LinesToRunAsync(context, chunk);
        var (counts, cancelled) = await PromptWindow.RunAsync(
            context,
            chunk,
            cancel,
            (counts, window) => context.SetCustomStatus(new BatchProgress(cancel.IsCompleted ? BatchStatus.Cancelling : BatchStatus.InProgress, prepared.Total, before.Add(counts), window)),
            lines);
        if (!context.IsReplaying)
        {
            BatchTracing.RecordChunk(input.BatchId, 0, chunk.Count, started, context.CurrentUtcDateTime, counts);
        }

        return (before.Add(counts), cancelled);
    }

    private static async Task<(BatchCounts Counts, bool Cancelled, int? ContinueAt)> RunChunksAsync(TaskOrchestrationContext context, BatchInput input, PreparedBatch prepared, Task cancel, BatchCounts before)
    {
        // With a token budget the chunks run one after another, each with the whole cap and what is left of the
        // budget: the usage a chunk reports is then all the batch has spent, and the overshoot stays one window's calls.
        var windows = input.MaxTotalTokens is null ? SlotWindows(input.MaxConcurrency, prepared.ChunkCount, input.MinChunkWindow) : [input.MaxConcurrency];
        var free = new Queue<int>(Enumerable.Range(0, windows.Length));
        // Chunk orchestrations in flight, and the slots of failed ones: a chunk orchestration that failed (or was
        // terminated) leaves its activities running, up to its window, so its slot stays unused until they must have
        // finished (a timer), and the calls in flight never exceed the cap.
        var tasks = new TaskWindow<(int Chunk, int Slot)>();
        var counts = input.Resume?.Counts ?? before;
        var nextChunk = input.Resume?.NextChunk ?? 0;

        // Each execution of this orchestration starts at most ChunksPerExecution chunks, then drains and continues as
        // new with its counters: the history of a batch of any size stays that of ChunksPerExecution chunks.
        var lastChunk = Math.Min(prepared.ChunkCount, nextChunk + ChunksPerExecution);
        var cancelled = false;

        while (true)
        {
            if (!cancelled && cancel.IsCompleted)
            {
                // Checked before starting chunks, not only when Task.WhenAny picks it (it prefers a finished chunk).
                cancelled = true;
                foreach (var (chunk, _) in tasks.RunningItems)
                {
                    context.SendEvent(ChunkInstanceId(input.BatchId, chunk), PromptWindow.CancelEvent, "cancel");
                }
            }

            while (!cancelled && free.Count > 0 && nextChunk < lastChunk && !(TokenBudgetLeft(input, counts) <= 0))
            {
                var slot = free.Dequeue();
                var chunk = nextChunk++;
                var start = chunk * prepared.ChunkSize;
                var chunkInput = new ChunkInput(input.BatchId, input.Deployment, prepared.ChunkSize, chunk, start, prepared.CountOf(chunk), windows[slot], input.MaxDurableRetries, TokenBudgetLeft(input, counts), input.MaxConcurrency, input.AllowStandard, input.Cache, input.SkipAnswered);
                tasks.Run(
                    context.CallSubOrchestratorAsync<BatchCounts>(nameof(ChunkOrchestrator), chunkInput, new SubOrchestrationOptions { InstanceId = ChunkInstanceId(input.BatchId, chunk) }),
                    (chunk, slot));
            }

            context.SetCustomStatus(new BatchProgress(
                cancelled ? BatchStatus.Cancelling : BatchStatus.InProgress, prepared.Total, counts, windows.Sum(), [.. tasks.RunningItems.Select(r => r.Chunk).Order()]));

            if (tasks.Running == 0 && (cancelled || tasks.Waiting == 0))
            {
                break;
            }

            var step = cancelled ? await tasks.NextAsync() : await tasks.NextAsync(cancel);
            if (step.Kind == WindowEventKind.Signal)
            {
                continue;
            }

            if (step.Kind == WindowEventKind.Waited)
            {
                if (input.MaxTotalTokens is not null)
                {
                    // What the failed chunk spent is only known to storage: the budget left comes from there.
                    var check = await context.CallActivityAsync<ResultCheck>(
                        nameof(CheckResultsActivity), new ResultCheckInput(input.BatchId, prepared), PromptWindow.ActivityRetry);
                    counts = check.Stored with { Throttled = counts.Throttled, Retries = counts.Retries, InvalidOutputs = counts.InvalidOutputs };
                }

                free.Enqueue(step.Item.Slot);
                continue;
            }

            try
            {
                counts = counts.Add(await (Task<BatchCounts>)step.Task);
                free.Enqueue(step.Item.Slot);
            }
            catch (TaskFailedException)
            {
                // A chunk orchestration failed as a whole: the lines it did not finish are run again before finalize
                // (see RepairAsync); its slot waits until the activities it left behind must be done.
                tasks.Wait(context.CreateTimer(context.CurrentUtcDateTime.Add(MaxCallTime(input)), CancellationToken.None), (-1, step.Item.Slot));
            }
        }

        var more = !cancelled && nextChunk < prepared.ChunkCount && !(TokenBudgetLeft(input, counts) <= 0);
        return (counts, cancelled, more ? nextChunk : null);
    }
}
