using Fanout.Core.Models;
using Microsoft.DurableTask;

namespace Fanout.Core.Activities;

/// <summary>Commits the ordered output: see <see cref="BatchActivities.FinalizeAsync"/>.</summary>
public sealed class FinalizeBatchActivity(BatchActivities activities, Microsoft.DurableTask.Client.DurableTaskClient client) : TaskActivity<FinalizeInput, bool>
{
    /// <inheritdoc />
    public override async Task<bool> RunAsync(TaskActivityContext context, FinalizeInput input)
    {
        await activities.FinalizeAsync(input, CancellationToken.None, client).ConfigureAwait(false);
        return true;
    }
}
