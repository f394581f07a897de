using Microsoft.DurableTask;

namespace Fanout.Core.Orchestrations;

/// <summary>An orchestration's replay-safe time as a <see cref="TimeProvider"/>, for the pure policies that take a clock.</summary>
public sealed class OrchestrationClock(TaskOrchestrationContext context) : TimeProvider
{
    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => new(context.CurrentUtcDateTime, TimeSpan.Zero);
}
