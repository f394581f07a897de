using Fanout.Core.Models;
using Fanout.Core.Planning;
using Fanout.Core.Upstream;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Fanout.Core.Orchestrations;

/// <summary>
/// A batch's Batch API phase, for a batch with a deadline whose pool has a <c>batch</c> member. <see cref="DeadlinePlanner"/>
/// decides from the plan (lines, tokens, live quota) and the orchestration's clock: offload when there is time to wait for
/// the Batch API and still finish live, else nothing goes upstream. Offloaded lines are uploaded and their upstream
/// batches created once (the activity results, with the upstream ids, are in this history before anything uses them;
/// a repeat after a crash finds the files by name and the batches by metadata); then durable timers wait between looks
/// until every upstream batch has ended and its output is stored, or until the time left only covers the unfinished
/// lines live (plus the margin): then the upstream batches are cancelled, what they finished is kept, and the batch runs
/// the rest live. A batch cancel does the same and stops the batch.
/// </summary>
public sealed class UpstreamOrchestrator : TaskOrchestrator<UpstreamInput, UpstreamOutcome>
{
    /// <summary>Looks one execution makes before it continues as new (its history stays small over a 24-hour wait).</summary>
    public const int PollsPerExecution = 40;

    /// <summary>Looks at cancelled upstream batches, <see cref="CancelPollInterval"/> apart, before the rest runs live anyway.</summary>
    public const int CancelPolls = 12;

    /// <summary>Time between looks at upstream batches being cancelled.</summary>
    public static readonly TimeSpan CancelPollInterval = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public override async Task<UpstreamOutcome> RunAsync(TaskOrchestrationContext context, UpstreamInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var log = context.CreateReplaySafeLogger(typeof(UpstreamOrchestrator).FullName!);
        var batch = input.Batch;
        var total = input.Prepared.Total;
        var step = new UpstreamStep(batch.BatchId, batch.Deployment, input.Prepared);
        var plan = input.Plan ?? await context.CallActivityAsync<UpstreamPlan>(nameof(UpstreamPlanActivity), step, PromptWindow.ActivityRetry);
        if (plan.Lines == 0 || batch.Deadline is not { } deadlineSeconds)
        {
            log?.LogInformation("Batch {BatchId}: every line runs live ({Reason})", batch.BatchId, plan.Reason ?? "no deadline");
            return new UpstreamOutcome(false, new BatchCounts());
        }

        var planner = new DeadlinePlanner(new OrchestrationClock(context), plan.Margin, TimeSpan.FromSeconds(plan.PollSeconds));
        var deadline = DateTimeOffset.FromUnixTimeSeconds(deadlineSeconds);
        var parts = input.Parts;
        if (parts is null)
        {
            var first = planner.Decide(Input(plan, deadline, total, running: false));
            if (first.Action != PlanAction.Offload)
            {
                log?.LogInformation(
                    "Batch {BatchId}: every line runs live ({Reason})", batch.BatchId,
                    first.LiveSeconds is null ? plan.Reason ?? "the live need is not known" : $"{first.LiveSeconds:F0} s live need does not leave room for the Batch API before the deadline");
                return new UpstreamOutcome(false, new BatchCounts());
            }

            parts = await context.CallActivityAsync<IReadOnlyList<UpstreamPart>>(nameof(UpstreamSubmitActivity), step, PromptWindow.ActivityRetry);
        }

        var cancel = context.WaitForExternalEvent<string>(PromptWindow.CancelEvent);
        var pullingBack = input.PullingBack;
        var cancelled = false;
        var polls = input.Polls;
        var cancelPolls = 0;
        while (true)
        {
            context.SetCustomStatus(new BatchProgress(BatchStatus.InProgress, total, Counts(parts), 0));
            if (parts.All(p => p.Collected))
            {
                return new UpstreamOutcome(true, Counts(parts), pullingBack, cancelled);
            }

            if (!pullingBack && !cancel.IsCompleted)
            {
                var decision = planner.Decide(Input(plan, deadline, total - parts.Sum(p => p.Answered), running: true));
                if (decision.Action == PlanAction.WaitUpstream)
                {
                    if (parts.Any(p => p.BatchId is null && !p.Collected))
                    {
                        // Refused for the enqueued-token quota: ask again (another upstream batch may have ended).
                        parts = await context.CallActivityAsync<IReadOnlyList<UpstreamPart>>(nameof(UpstreamSubmitActivity), step with { Parts = parts }, PromptWindow.ActivityRetry);
                    }

                    using var timerCancel = new CancellationTokenSource();
                    var timer = context.CreateTimer(decision.NextCheckAt!.Value.UtcDateTime, timerCancel.Token);
                    if (await Task.WhenAny(timer, cancel) != timer)
                    {
                        timerCancel.Cancel();
                        continue;
                    }

                    parts = await context.CallActivityAsync<IReadOnlyList<UpstreamPart>>(nameof(UpstreamPollActivity), step with { Parts = parts }, PromptWindow.ActivityRetry);
                    if (++polls % PollsPerExecution == 0 && !parts.All(p => p.Collected))
                    {
                        context.ContinueAsNew(input with { Plan = plan, Parts = parts, Polls = polls }, preserveUnprocessedEvents: true);
                        return new UpstreamOutcome(true, Counts(parts));
                    }

                    continue;
                }

                log?.LogInformation(
                    "Batch {BatchId}: pulling back from the Batch API at {Now:o}: {Unfinished} lines need {Seconds:F0} s live before the deadline {Deadline:o}",
                    batch.BatchId, context.CurrentUtcDateTime, total - parts.Sum(p => p.Answered), decision.LiveSeconds ?? 0, deadline);
            }

            cancelled |= cancel.IsCompleted;
            if (pullingBack && cancelPolls >= CancelPolls)
            {
                // The service has not finished cancelling: what it answers from now on is not used (those lines run live).
                return new UpstreamOutcome(true, Counts(parts), true, cancelled);
            }

            if (pullingBack)
            {
                cancelPolls++;
                await context.CreateTimer(context.CurrentUtcDateTime.Add(CancelPollInterval), CancellationToken.None);
            }

            pullingBack = true;
            parts = await context.CallActivityAsync<IReadOnlyList<UpstreamPart>>(nameof(UpstreamPollActivity), step with { Parts = parts, Cancel = true }, PromptWindow.ActivityRetry);
        }
    }

    private static PlannerInput Input(UpstreamPlan plan, DateTimeOffset deadline, int unfinished, bool running)
        => new(deadline, true, unfinished, plan.TokensPerLine, plan.LiveTokensPerMinute, plan.LiveRequestsPerMinute, UpstreamRunning: running);

    private static BatchCounts Counts(IReadOnlyList<UpstreamPart> parts)
        => new(Completed: parts.Sum(p => p.Answered), PromptTokens: parts.Sum(p => p.PromptTokens), CompletionTokens: parts.Sum(p => p.CompletionTokens));
}
