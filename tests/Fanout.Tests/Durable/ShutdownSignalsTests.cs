using Fanout.Host.Durable.WorkItems;
using Xunit;

namespace Fanout.Tests.Durable;

/// <summary>The steps of a graceful stop, each one only when asked.</summary>
public sealed class ShutdownSignalsTests
{
    [Fact]
    public async Task Each_step_signals_only_what_it_stops()
    {
        using var signals = new ShutdownSignals();
        Assert.False(signals.ActivitiesStopped.IsCancellationRequested);

        signals.StopActivities();
        Assert.True(signals.ActivitiesStopped.IsCancellationRequested);
        Assert.False(signals.OrchestrationsStopped.IsCancellationRequested);

        signals.StopAll();
        Assert.True(signals.OrchestrationsStopped.IsCancellationRequested);
        Assert.False(signals.FetchingStopped.IsCancellationRequested);

        await signals.StopFetchingAsync();
        Assert.True(signals.FetchingStopped.IsCancellationRequested);
    }

    [Fact]
    public void Stopping_all_also_stops_activities()
    {
        using var signals = new ShutdownSignals();

        signals.StopAll();

        Assert.True(signals.ActivitiesStopped.IsCancellationRequested);
        Assert.True(signals.OrchestrationsStopped.IsCancellationRequested);
    }
}
