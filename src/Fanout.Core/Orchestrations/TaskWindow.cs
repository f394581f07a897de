namespace Fanout.Core.Orchestrations;

/// <summary>
/// The scheduling loop both orchestrators share (<see cref="PromptWindow"/> over prompt activities,
/// <see cref="BatchOrchestrator"/> over chunk orchestrations): the tasks in flight and the durable timers, each with the
/// item it was started for, and one <c>Task.WhenAny</c> over them that says what finished. Orchestrator-safe: no clock,
/// no I/O, and the same order on every replay (in flight first, in start order, then timers, then the signals, so a
/// completion that arrived together with a signal is handled first). What to start, and what a finished task means
/// (the AIMD window, a line's retry, a chunk's slot), is each caller's policy.
/// </summary>
/// <typeparam name="TItem">What a task runs (a line, a chunk slot).</typeparam>
public sealed class TaskWindow<TItem>
{
    private readonly Dictionary<Task, TItem> _running = [];
    private readonly Dictionary<Task, TItem> _waiting = [];

    /// <summary>Tasks in flight.</summary>
    public int Running => _running.Count;

    /// <summary>Timers not yet fired.</summary>
    public int Waiting => _waiting.Count;

    /// <summary>The items of the tasks in flight.</summary>
    public IEnumerable<TItem> RunningItems => _running.Values;

    /// <summary>Adds a task in flight.</summary>
    public void Run(Task task, TItem item) => _running.Add(task, item);

    /// <summary>Adds a durable timer after which <paramref name="item"/> comes back.</summary>
    public void Wait(Task timer, TItem item) => _waiting.Add(timer, item);

    /// <summary>Waits for the first task in flight, timer or non-null signal to finish, and takes it out of the window.</summary>
    public async Task<WindowEvent<TItem>> NextAsync(params Task?[] signals)
    {
        ArgumentNullException.ThrowIfNull(signals);
        var waitOn = new List<Task>(_running.Count + _waiting.Count + signals.Length);
        waitOn.AddRange(_running.Keys);
        waitOn.AddRange(_waiting.Keys);
        foreach (var signal in signals)
        {
            if (signal is not null)
            {
                waitOn.Add(signal);
            }
        }

        if (waitOn.Count == 0)
        {
            throw new InvalidOperationException("Nothing to wait for: no task in flight, no timer and no signal.");
        }

        var done = await Task.WhenAny(waitOn);
        if (_running.Remove(done, out var item))
        {
            return new WindowEvent<TItem>(WindowEventKind.Finished, done, item);
        }

        return _waiting.Remove(done, out item)
            ? new WindowEvent<TItem>(WindowEventKind.Waited, done, item)
            : new WindowEvent<TItem>(WindowEventKind.Signal, done, default);
    }
}
