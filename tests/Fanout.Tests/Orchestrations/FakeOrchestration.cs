using Fanout.Core.Activities;
using Fanout.Core.Models;
using Microsoft.DurableTask;
using Moq;

namespace Fanout.Tests.Orchestrations;

/// <summary>
/// A mocked <see cref="TaskOrchestrationContext"/> whose prompt activities complete after a random short delay (so
/// completions arrive out of order) and which records how many were in flight at once.
/// </summary>
internal sealed class FakeOrchestration
{
    private readonly Random _random;
    private readonly object _gate = new();
    private int _inFlight;
    private DateTime _now = Start;

    public FakeOrchestration(int seed = 42)
    {
        _random = new Random(seed);
        Context
            .Setup(c => c.CallActivityAsync<PromptOutcome>(It.Is<TaskName>(n => n.Name == nameof(PromptActivity)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Returns((TaskName _, object? input, TaskOptions? _) => RunPromptAsync((PromptWorkItem)input!));
        Context
            .Setup(c => c.WaitForExternalEvent<string>("cancel", It.IsAny<CancellationToken>()))
            .Returns(Cancel.Task);
        Context.Setup(c => c.CurrentUtcDateTime).Returns(() =>
        {
            lock (_gate)
            {
                return _now;
            }
        });
        Context
            .Setup(c => c.CreateTimer(It.IsAny<DateTime>(), It.IsAny<CancellationToken>()))
            .Returns((DateTime due, CancellationToken _) =>
            {
                lock (_gate)
                {
                    Timers.Add(due);
                }

                // Timers fire at once, and the orchestration clock moves to their due time, as replay would see it.
                return Task.Delay(1).ContinueWith(
                    _ =>
                    {
                        lock (_gate)
                        {
                            _now = due > _now ? due : _now;
                        }
                    },
                    TaskScheduler.Default);
            });
        Context.Setup(c => c.SetCustomStatus(It.IsAny<object?>())).Callback((object? s) => LastStatus = s as BatchProgress);
        Context
            .Setup(c => c.CallActivityAsync<ResultCheck>(It.Is<TaskName>(n => n.Name == nameof(CheckResultsActivity)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Returns((TaskName _, object? input, TaskOptions? _) => Task.FromResult(Check((ResultCheckInput)input!)));
    }

    /// <summary>The orchestration clock at the start.</summary>
    public static readonly DateTime Start = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public Mock<TaskOrchestrationContext> Context { get; } = new(MockBehavior.Loose);

    public TaskCompletionSource<string> Cancel { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Activities complete only once this is set; open by default.</summary>
    public TaskCompletionSource Gate { get; set; } = OpenGate();

    private static TaskCompletionSource OpenGate()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetResult();
        return gate;
    }

    /// <summary>Decides each call's outcome; default: success with 10 + 5 tokens.</summary>
    public Func<PromptWorkItem, PromptOutcome> Outcome { get; set; } = w => new PromptOutcome(w.Index, true, null, 10, 5);

    public List<PromptWorkItem> Started { get; } = [];

    public List<DateTime> Timers { get; } = [];

    public int PeakInFlight { get; private set; }

    public BatchProgress? LastStatus { get; private set; }

    /// <summary>Called with each started item while it is in flight, to let a test cancel mid-batch.</summary>
    public Action<PromptWorkItem>? OnStart { get; set; }

    /// <summary>The result line each line has in "storage": the last outcome that wrote one (not a hand-back, not a throw).</summary>
    public Dictionary<int, PromptOutcome> Stored { get; } = [];

    /// <summary>Result checks answered, with what they reported missing.</summary>
    public List<IReadOnlyList<int>> Checks { get; } = [];

    /// <summary>Stores a result for <paramref name="index"/> as an activity that ran elsewhere (a chunk) would.</summary>
    public void Store(int index, PromptOutcome outcome)
    {
        lock (_gate)
        {
            Stored[index] = outcome;
        }
    }

    private ResultCheck Check(ResultCheckInput input)
    {
        lock (_gate)
        {
            var missing = Enumerable.Range(0, input.Prepared.Total).Where(i => !Stored.ContainsKey(i)).ToList();
            var counts = new BatchCounts();
            foreach (var outcome in Stored.Values)
            {
                counts = counts.Add(outcome);
            }

            Checks.Add(missing);
            return new ResultCheck(missing, counts);
        }
    }

    private async Task<PromptOutcome> RunPromptAsync(PromptWorkItem item)
    {
        int delay;
        lock (_gate)
        {
            Started.Add(item);
            _inFlight++;
            PeakInFlight = Math.Max(PeakInFlight, _inFlight);
            delay = _random.Next(0, 4);
        }

        OnStart?.Invoke(item);

        // Always complete asynchronously, as a durable activity does: the call returns before the result exists.
        await Gate.Task;
        await Task.Yield();
        await Task.Delay(delay);
        lock (_gate)
        {
            _inFlight--;
        }

        var outcome = Outcome(item);
        if (!outcome.WantsRetry)
        {
            lock (_gate)
            {
                Stored[item.Index] = outcome;
            }
        }

        return outcome;
    }
}
