using Fanout.Host.Durable.WorkItems;
using Xunit;
using static Fanout.Tests.Durable.WorkItemFakes;

namespace Fanout.Tests.Durable;

/// <summary>One dispatcher's fetches: one at a time, and on drain detached and parked instead of answered with null.</summary>
public sealed class FetchGateTests
{
    [Fact]
    public async Task Hands_out_what_the_fetch_returns_and_detaches_nothing()
    {
        using var drain = new CancellationTokenSource();
        using var stopping = new CancellationTokenSource();
        using var gate = new FetchGate(drain.Token, stopping.Token);
        var detached = 0;

        var result = await gate.FetchAsync(_ => Task.FromResult<string?>("work"), () => detached++, CancellationToken.None);

        Assert.Equal("work", result);
        Assert.Equal(0, detached);
    }

    [Fact]
    public async Task On_drain_the_fetch_is_detached_and_the_call_parks_until_the_dispatcher_stops()
    {
        using var drain = new CancellationTokenSource();
        using var stopping = new CancellationTokenSource();
        using var gate = new FetchGate(drain.Token, stopping.Token);
        using var dispatcherStop = new CancellationTokenSource();
        var detached = 0;
        var waiting = new TaskCompletionSource();

        var call = gate.FetchAsync<string>(
            async token =>
            {
                waiting.SetResult();
                await Task.Delay(Timeout.InfiniteTimeSpan, token);
                return null;
            },
            () => Interlocked.Increment(ref detached),
            dispatcherStop.Token);
        await waiting.Task.WaitAsync(Patience);
        await drain.CancelAsync();

        // Detaching happens under the gate, before it is released.
        await gate.RunExclusiveAsync(() => { }, CancellationToken.None).WaitAsync(Patience);
        Assert.Equal(1, Volatile.Read(ref detached));
        Assert.False(call.IsCompleted);

        await dispatcherStop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(Patience));
    }

    [Fact]
    public async Task Fetches_run_one_at_a_time()
    {
        using var drain = new CancellationTokenSource();
        using var stopping = new CancellationTokenSource();
        using var gate = new FetchGate(drain.Token, stopping.Token);
        var release = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = 0;
        var most = 0;

        async Task<string?> Next(CancellationToken token)
        {
            var now = Interlocked.Increment(ref running);
            most = Math.Max(most, now);
            var result = await release.Task;
            Interlocked.Decrement(ref running);
            return result;
        }

        var first = gate.FetchAsync(Next, () => { }, CancellationToken.None);
        var second = gate.FetchAsync(Next, () => { }, CancellationToken.None);
        release.SetResult("work");

        Assert.All(await Task.WhenAll(first, second).WaitAsync(Patience), result => Assert.Equal("work", result));
        Assert.Equal(1, most);
    }
}
