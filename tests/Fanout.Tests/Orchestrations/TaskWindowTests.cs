using Fanout.Core.Orchestrations;
using Xunit;

namespace Fanout.Tests.Orchestrations;

/// <summary>The scheduling loop's core, shared by the prompt window and the chunk fan-out.</summary>
public sealed class TaskWindowTests
{
    [Fact]
    public async Task Says_what_finished_and_gives_its_item_back_once()
    {
        var window = new TaskWindow<string>();
        var a = new TaskCompletionSource<int>();
        var b = new TaskCompletionSource<int>();
        var timer = new TaskCompletionSource();
        window.Run(a.Task, "a");
        window.Run(b.Task, "b");
        window.Wait(timer.Task, "t");
        Assert.Equal(2, window.Running);
        Assert.Equal(1, window.Waiting);

        b.SetResult(2);
        var first = await window.NextAsync();
        Assert.Equal((WindowEventKind.Finished, "b"), (first.Kind, first.Item));
        Assert.Equal(2, await (Task<int>)first.Task);
        Assert.Equal(["a"], window.RunningItems);

        timer.SetResult();
        var second = await window.NextAsync();
        Assert.Equal((WindowEventKind.Waited, "t"), (second.Kind, second.Item));
        Assert.Equal(0, window.Waiting);
    }

    [Fact]
    public async Task Prefers_tasks_in_flight_then_timers_then_signals_when_several_are_done()
    {
        var window = new TaskWindow<int>();
        var signal = Task.CompletedTask;
        window.Wait(Task.CompletedTask, 2);
        window.Run(Task.FromResult(1), 1);

        Assert.Equal(WindowEventKind.Finished, (await window.NextAsync(signal)).Kind);
        Assert.Equal(WindowEventKind.Waited, (await window.NextAsync(signal)).Kind);
        var last = await window.NextAsync(null, signal);
        Assert.Equal(WindowEventKind.Signal, last.Kind);
        Assert.Same(signal, last.Task);
    }

    [Fact]
    public async Task A_failed_task_comes_back_as_finished_for_its_caller_to_observe()
    {
        var window = new TaskWindow<int>();
        window.Run(Task.FromException<int>(new InvalidOperationException("boom")), 7);

        var step = await window.NextAsync();

        Assert.Equal((WindowEventKind.Finished, 7), (step.Kind, step.Item));
        await Assert.ThrowsAsync<InvalidOperationException>(() => step.Task);
    }

    [Fact]
    public async Task Nothing_to_wait_for_is_a_bug_of_the_caller()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => new TaskWindow<int>().NextAsync((Task?)null));
    }
}
