using Fanout.Core.Models;
using Fanout.Core.Orchestrations;
using Fanout.Core.Storage;
using Microsoft.DurableTask;
using Xunit;

namespace Fanout.Tests.Orchestrations;

public sealed class PromptWindowTests
{
    private static ChunkInput Chunk(int count, int window, int start = 0) => new("b1", "gpt", 500, 0, start, count, window);

    [Theory]
    [InlineData(200, 8)]
    [InlineData(50, 1)]
    [InlineData(37, 100)]
    public async Task Window_never_exceeds_cap_when_completions_arrive_out_of_order(int count, int cap)
    {
        var fake = new FakeOrchestration();

        var (counts, cancelled) = await PromptWindow.RunAsync(fake.Context.Object, Chunk(count, cap), fake.Cancel.Task);

        Assert.False(cancelled);
        Assert.InRange(fake.PeakInFlight, 1, cap);
        Assert.Equal(count, counts.Completed);
        Assert.Equal(0, counts.Failed);
    }

    [Theory]
    [InlineData(200, 8)]
    [InlineData(37, 100)]
    public async Task Window_fills_to_the_cap_and_starts_nothing_more_until_a_call_finishes(int count, int cap)
    {
        var fake = new FakeOrchestration { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };

        var run = PromptWindow.RunAsync(fake.Context.Object, Chunk(count, cap), fake.Cancel.Task);
        await Task.Delay(100);

        Assert.Equal(Math.Min(cap, count), fake.Started.Count);
        Assert.Equal(Math.Min(cap, count), fake.PeakInFlight);
        fake.Gate.SetResult();
        var (counts, _) = await run;
        Assert.Equal(count, counts.Completed);
        Assert.InRange(fake.PeakInFlight, 1, cap);
    }

    [Fact]
    public async Task Every_line_is_started_once_in_input_order()
    {
        var fake = new FakeOrchestration();

        await PromptWindow.RunAsync(fake.Context.Object, Chunk(120, 7, start: 500), fake.Cancel.Task);

        Assert.Equal(Enumerable.Range(500, 120), fake.Started.Select(s => s.Index));
        Assert.All(fake.Started, s => Assert.Equal("b1", s.BatchId));
    }

    [Fact]
    public async Task One_failing_prompt_does_not_fail_the_batch()
    {
        var fake = new FakeOrchestration
        {
            Outcome = w => w.Index == 13
                ? throw new TaskFailedException("PromptActivity", 13, new TaskFailureDetails("IOException", "storage down", null, null, null))
                : new PromptOutcome(w.Index, w.Index != 20, w.Index == 20 ? "content_filter" : null, 10, 5),
        };

        var (counts, _) = await PromptWindow.RunAsync(fake.Context.Object, Chunk(40, 5), fake.Cancel.Task);

        Assert.Equal(38, counts.Completed);
        Assert.Equal(2, counts.Failed);
        // The line whose activity kept failing was tried again on durable timers, a bounded number of times.
        Assert.Equal(Enumerable.Range(0, PromptWindow.ActivityFailedRetries + 1), fake.Started.Where(s => s.Index == 13).Select(s => s.Failures));
        // Usage counts every answered call, the content-filtered one included; the activity that threw reported none.
        Assert.Equal(39 * 10, counts.PromptTokens);
        Assert.Equal(39 * 5, counts.CompletionTokens);
    }

    [Fact]
    public async Task A_line_whose_activity_failed_through_its_retry_policy_is_run_again_after_a_durable_timer()
    {
        var fake = new FakeOrchestration
        {
            Outcome = w => w.Index == 7 && w.Attempt < 2
                ? throw new TaskFailedException("PromptActivity", 7, new TaskFailureDetails("RequestFailedException", "storage down", null, null, null))
                : new PromptOutcome(w.Index, true, null, 10, 5),
        };

        var (counts, _) = await PromptWindow.RunAsync(fake.Context.Object, Chunk(20, 4), fake.Cancel.Task);

        Assert.Equal(20, counts.Completed);
        Assert.Equal(0, counts.Failed);
        Assert.Equal(2, counts.Retries);
        Assert.Equal([0, 1, 2], fake.Started.Where(s => s.Index == 7).Select(s => s.Attempt));
        // Storage trouble is not throttling: no pause of the window, one retry timer per failure.
        Assert.Equal(
            [FakeOrchestration.Start.Add(PromptWindow.ActivityFailedRetryDelay), FakeOrchestration.Start.Add(2 * PromptWindow.ActivityFailedRetryDelay)],
            fake.Timers.Order());
    }

    [Fact]
    public async Task A_result_that_belongs_to_another_line_does_not_count_as_this_lines_and_the_line_runs_again()
    {
        // The first call for line 5 comes back with line 4's result (as after a replayed, lost episode).
        var callsFor5 = 0;
        var fake = new FakeOrchestration
        {
            Outcome = w => w.Index == 5 && Interlocked.Increment(ref callsFor5) == 1
                ? new PromptOutcome(4, true, null, 10, 5)
                : new PromptOutcome(w.Index, true, null, 10, 5),
        };

        var (counts, _) = await PromptWindow.RunAsync(fake.Context.Object, Chunk(10, 3), fake.Cancel.Task);

        Assert.Equal(2, fake.Started.Count(s => s.Index == 5));
        Assert.Equal(10, counts.Completed);
        Assert.Equal(10 * 10, counts.PromptTokens);
    }

    [Fact]
    public async Task Throttled_line_waits_on_a_durable_timer_and_is_retried_until_it_succeeds()
    {
        var fake = new FakeOrchestration
        {
            Outcome = w => w.Index == 3 && w.Attempt < 2
                ? new PromptOutcome(w.Index, false, RetryAfterMs: 30_000, Throttled: true)
                : new PromptOutcome(w.Index, true),
        };

        var (counts, _) = await PromptWindow.RunAsync(fake.Context.Object, Chunk(10, 4), fake.Cancel.Task);

        Assert.Equal(10, counts.Completed);
        Assert.Equal(2, counts.Retries);
        Assert.Equal([0, 1, 2], fake.Started.Where(s => s.Index == 3).Select(s => s.Attempt));
        // Each 429 sets a retry timer for its line and pauses new starts until the same moment.
        Assert.Equal(
            [FakeOrchestration.Start.AddSeconds(30), FakeOrchestration.Start.AddSeconds(30), FakeOrchestration.Start.AddSeconds(60), FakeOrchestration.Start.AddSeconds(60)],
            fake.Timers.Order());
    }

    [Fact]
    public async Task Last_durable_retry_is_marked_so_the_activity_writes_an_error_line()
    {
        var fake = new FakeOrchestration
        {
            Outcome = w => w.LastAttempt
                ? new PromptOutcome(w.Index, false, "rate_limit_exhausted", Throttled: true)
                : new PromptOutcome(w.Index, false, RetryAfterMs: 1000, Throttled: true),
        };
        var chunk = Chunk(1, 1) with { MaxDurableRetries = 3 };

        var (counts, _) = await PromptWindow.RunAsync(fake.Context.Object, chunk, fake.Cancel.Task);

        Assert.Equal(1, counts.Failed);
        Assert.Equal(4, fake.Started.Count);
        Assert.True(fake.Started[^1].LastAttempt);
    }

    [Fact]
    public async Task Cancel_stops_new_calls_and_keeps_finished_ones()
    {
        var fake = new FakeOrchestration();
        fake.OnStart = item =>
        {
            if (item.Index == 20)
            {
                fake.Cancel.TrySetResult("cancel");
            }
        };

        var (counts, cancelled) = await PromptWindow.RunAsync(fake.Context.Object, Chunk(1000, 4), fake.Cancel.Task);

        Assert.True(cancelled);
        Assert.InRange(fake.Started.Count, 21, 21 + 8);
        Assert.Equal(fake.Started.Count, counts.Completed);
    }

    [Fact]
    public async Task Throttling_shrinks_the_window_below_the_cap()
    {
        var fake = new FakeOrchestration
        {
            Outcome = w => w.Attempt == 0 && w.Index % 3 == 0
                ? new PromptOutcome(w.Index, false, RetryAfterMs: 100, Throttled: true)
                : new PromptOutcome(w.Index, true),
        };
        var windows = new List<int>();

        await PromptWindow.RunAsync(fake.Context.Object, Chunk(300, 32), fake.Cancel.Task, (_, w) => windows.Add(w));

        Assert.Contains(windows, w => w < 32);
        Assert.All(windows, w => Assert.InRange(w, 1, 32));
    }

    [Theory]
    [InlineData(true, 16)]
    [InlineData(false, 4)]
    public async Task Lines_held_back_by_the_throttle_gate_pause_the_window_without_shrinking_it_again(bool deferred, int atMost)
    {
        // One line gets the service's 429; 39 more come back from the activity's closed throttle gate, not sent.
        var fake = new FakeOrchestration
        {
            Outcome = w => w.Attempt == 0 && w.Index < 40
                ? new PromptOutcome(w.Index, false, RetryAfterMs: 100, Throttled: true, Deferred: deferred && w.Index > 0)
                : new PromptOutcome(w.Index, true),
        };
        var windows = new List<int>();

        var (counts, _) = await PromptWindow.RunAsync(fake.Context.Object, Chunk(200, 32), fake.Cancel.Task, (_, w) => windows.Add(w));

        Assert.Equal(200, counts.Completed);
        Assert.Equal(40, counts.Throttled);
        Assert.InRange(windows.Min(), 1, atMost);
        if (deferred)
        {
            // One congestion event, one halving.
            Assert.Equal(16, windows.Min());
        }
    }

    [Fact]
    public void Counts_ignore_outcomes_that_ask_for_a_retry()
    {
        var counts = new BatchCounts()
            .Add(new PromptOutcome(0, false, RetryAfterMs: 10, Throttled: true))
            .Add(new PromptOutcome(0, true, null, 3, 4))
            .Add(new PromptOutcome(1, false, OutputLines.InternalError));

        Assert.Equal(new BatchCounts(1, 1, 3, 4, 1, 1), counts);
    }
}
