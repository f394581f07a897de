using DurableTask.Core;

namespace Fanout.Tests.Durable;

/// <summary>An extended session whose next messages the test delivers.</summary>
internal sealed class FakeSession : IOrchestrationSession
{
    private readonly TaskCompletionSource<IList<TaskMessage>?> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _fetches;
    private int _ended;

    public int Fetches => Volatile.Read(ref _fetches);

    public int Ended => Volatile.Read(ref _ended);

    public void Deliver(IList<TaskMessage>? messages) => _next.SetResult(messages);

    public void Fail(Exception exception) => _next.SetException(exception);

    public Task<IList<TaskMessage>?> FetchNewOrchestrationMessagesAsync(TaskOrchestrationWorkItem workItem)
    {
        Interlocked.Increment(ref _fetches);
        return _next.Task;
    }

    public Task EndSessionAsync()
    {
        Interlocked.Increment(ref _ended);
        return Task.CompletedTask;
    }
}
