using Fanout.Core.Models;
using Microsoft.DurableTask;

namespace Fanout.Core.Activities;

/// <summary>Validates and chunks a dropped blob: see <see cref="BatchActivities.PrepareAsync"/>.</summary>
public sealed class PrepareBatchActivity(BatchActivities activities) : TaskActivity<PrepareInput, PreparedBatch>
{
    /// <inheritdoc />
    public override Task<PreparedBatch> RunAsync(TaskActivityContext context, PrepareInput input)
        => activities.PrepareAsync(input, CancellationToken.None);
}
