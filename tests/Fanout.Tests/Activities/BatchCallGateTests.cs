using Fanout.Core.Activities;
using Fanout.Core.Models;
using Xunit;

namespace Fanout.Tests.Activities;

public sealed class BatchCallGateTests
{
    [Fact]
    public async Task A_batch_never_has_more_slots_taken_than_its_cap_and_a_freed_slot_lets_the_next_call_in()
    {
        var gate = new BatchCallGate();
        var first = await gate.EnterAsync("b1", 2, CancellationToken.None);
        var second = await gate.EnterAsync("b1", 2, CancellationToken.None);

        var third = gate.EnterAsync("b1", 2, CancellationToken.None).AsTask();
        var otherBatch = await gate.EnterAsync("b2", 2, CancellationToken.None); // caps are per batch

        Assert.False(third.IsCompleted);
        Assert.Equal(2, gate.Batches);
        second.Dispose();
        second.Dispose(); // twice gives back one slot, not two
        var thirdSlot = await third;
        var fourth = gate.EnterAsync("b1", 2, CancellationToken.None).AsTask();
        Assert.False(fourth.IsCompleted);

        first.Dispose();
        (await fourth).Dispose();
        thirdSlot.Dispose();
        otherBatch.Dispose();
        Assert.Equal(0, gate.Batches); // nothing is kept for a batch without calls in flight
    }

    [Fact]
    public async Task A_cap_of_0_takes_no_slot()
    {
        var gate = new BatchCallGate();

        var slots = new List<IDisposable>();
        for (var i = 0; i < 100; i++)
        {
            slots.Add(await gate.EnterAsync("old", 0, CancellationToken.None));
        }

        Assert.Equal(0, gate.Batches);
        slots.ForEach(s => s.Dispose());
    }

    [Fact]
    public async Task A_wait_that_is_cancelled_gives_nothing_back_twice_and_leaves_no_entry()
    {
        var gate = new BatchCallGate();
        var held = await gate.EnterAsync("b1", 1, CancellationToken.None);
        using var cts = new CancellationTokenSource();

        var waiting = gate.EnterAsync("b1", 1, cts.Token).AsTask();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(1, gate.Batches);
        held.Dispose();
        Assert.Equal(0, gate.Batches);
        (await gate.EnterAsync("b1", 1, CancellationToken.None)).Dispose();
    }

    [Fact]
    public async Task A_copy_of_a_running_line_joins_it_instead_of_running_again()
    {
        var gate = new BatchCallGate();
        var release = new TaskCompletionSource<PromptOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;
        var joins = 0;
        var item = new PromptWorkItem("b1", 7, 500, "gpt", Cap: 4);

        var first = gate.RunOnceAsync(item, () => { runs++; return release.Task; }, () => joins++);
        var copy = gate.RunOnceAsync(item with { Failures = 0 }, () => { runs++; return release.Task; }, () => joins++);
        var retry = gate.RunOnceAsync(item with { Attempt = 1 }, () => { runs++; return Task.FromResult(new PromptOutcome(7, true, null)); });

        Assert.Equal(1, joins);
        Assert.Equal(2, runs); // the first copy and the later attempt, which is a call of its own
        Assert.True((await retry).Succeeded);
        Assert.False(first.IsCompleted);
        Assert.Equal(1, gate.LinesInFlight);

        var outcome = new PromptOutcome(7, true, null, 11, 3);
        release.SetResult(outcome);

        Assert.Same(outcome, await first);
        Assert.Same(outcome, await copy);
        Assert.Equal(0, gate.LinesInFlight);

        // Once the first copy is done, a later copy is a new run (the finalize step keeps one result line).
        var later = await gate.RunOnceAsync(item, () => { runs++; return Task.FromResult(outcome); });
        Assert.Same(outcome, later);
        Assert.Equal(3, runs);
    }

    [Fact]
    public async Task A_copy_that_joined_a_failing_run_sees_its_failure()
    {
        var gate = new BatchCallGate();
        var release = new TaskCompletionSource<PromptOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var item = new PromptWorkItem("b1", 1, 500, "gpt");

        var first = gate.RunOnceAsync(item, () => release.Task);
        var copy = gate.RunOnceAsync(item, () => throw new InvalidOperationException("must not run"));
        release.SetException(new IOException("storage went away"));

        await Assert.ThrowsAsync<IOException>(() => first);
        await Assert.ThrowsAsync<IOException>(() => copy);
        Assert.Equal(0, gate.LinesInFlight);
    }
}
