using Fanout.Core.Models;
using Microsoft.DurableTask;

namespace Fanout.Core.Activities;

/// <summary>Runs one prompt: see <see cref="PromptExecutor"/>.</summary>
public sealed class PromptActivity(PromptExecutor executor) : TaskActivity<PromptWorkItem, PromptOutcome>
{
    /// <inheritdoc />
    public override Task<PromptOutcome> RunAsync(TaskActivityContext context, PromptWorkItem input)
        => executor.ExecuteAsync(input, CancellationToken.None);
}
