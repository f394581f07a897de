using Microsoft.DurableTask;

namespace Fanout.IntegrationTests.Durable;

/// <summary>Input of <see cref="SlidingWindowTestOrchestrator"/>: how many activities, and how many at once.</summary>
public sealed record SlidingWindowInput(int Count, int Window);

/// <summary>Runs <see cref="SlidingWindowInput.Count"/> probe activities, at most <see cref="SlidingWindowInput.Window"/> at a time; returns the sum of their inputs.</summary>
public sealed class SlidingWindowTestOrchestrator : TaskOrchestrator<SlidingWindowInput, long>
{
    /// <summary>The expected output for <paramref name="count"/> activities: 0 + 1 + … + (count - 1).</summary>
    public static long ExpectedSum(int count) => (long)count * (count - 1) / 2;

    /// <inheritdoc />
    public override async Task<long> RunAsync(TaskOrchestrationContext context, SlidingWindowInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);

        List<Task<int>> inFlight = new(input.Window);
        int next = 0;
        long sum = 0;
        while (next < input.Count && inFlight.Count < input.Window)
        {
            inFlight.Add(context.CallActivityAsync<int>(nameof(ProbeTestActivity), next++));
        }

        while (inFlight.Count > 0)
        {
            Task<int> done = await Task.WhenAny(inFlight);
            inFlight.Remove(done);
            sum += await done;
            if (next < input.Count)
            {
                inFlight.Add(context.CallActivityAsync<int>(nameof(ProbeTestActivity), next++));
            }
        }

        return sum;
    }
}

/// <summary>Per-host counters and settings of <see cref="ProbeTestActivity"/>.</summary>
public sealed class ActivityProbe
{
    int started;
    int completed;

    /// <summary>Gets or sets how long each activity waits; zero makes it a no-op.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Gets or sets a gate every activity waits for after its delay; null lets them through.</summary>
    public TaskCompletionSource? Gate { get; set; }

    /// <summary>Gets the number of activities this host started.</summary>
    public int Started => Volatile.Read(ref started);

    /// <summary>Gets the number of activities this host completed.</summary>
    public int Completed => Volatile.Read(ref completed);

    /// <summary>Counts one started activity.</summary>
    public void OnStarted() => Interlocked.Increment(ref started);

    /// <summary>Counts one completed activity.</summary>
    public void OnCompleted() => Interlocked.Increment(ref completed);
}

/// <summary>Returns its input after the probe's delay and counts itself.</summary>
public sealed class ProbeTestActivity(ActivityProbe probe) : TaskActivity<int, int>
{
    /// <inheritdoc />
    public override async Task<int> RunAsync(TaskActivityContext context, int input)
    {
        probe.OnStarted();
        if (probe.Delay > TimeSpan.Zero)
        {
            await Task.Delay(probe.Delay);
        }

        if (probe.Gate is { } gate)
        {
            await gate.Task;
        }

        probe.OnCompleted();
        return input;
    }
}
