using Microsoft.DurableTask;

namespace Fanout.Core.Upstream;

/// <summary>Reads what the deadline planner needs: see <see cref="UpstreamService.PlanAsync"/>.</summary>
public sealed class UpstreamPlanActivity(UpstreamService service) : TaskActivity<UpstreamStep, UpstreamPlan>
{
    /// <inheritdoc />
    public override Task<UpstreamPlan> RunAsync(TaskActivityContext context, UpstreamStep input) => service.PlanAsync(input, CancellationToken.None);
}
