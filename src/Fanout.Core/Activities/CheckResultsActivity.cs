using Fanout.Core.Models;
using Microsoft.DurableTask;

namespace Fanout.Core.Activities;

/// <summary>Finds lines with no stored result: see <see cref="BatchActivities.CheckResultsAsync"/>.</summary>
public sealed class CheckResultsActivity(BatchActivities activities) : TaskActivity<ResultCheckInput, ResultCheck>
{
    /// <inheritdoc />
    public override Task<ResultCheck> RunAsync(TaskActivityContext context, ResultCheckInput input)
        => activities.CheckResultsAsync(input, CancellationToken.None);
}
