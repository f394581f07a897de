using DurableTask.Core;

namespace Fanout.Durable;

/// <summary>A DurableTask.Core activity whose real implementation the dispatcher middleware sets, inside its DI scope.</summary>
internal sealed class ShimActivity : TaskActivity
{
    /// <summary>Gets or sets the shim of our activity (from <c>DurableTaskShimFactory</c>).</summary>
    public TaskActivity? Inner { get; set; }

    public override string Run(TaskContext context, string input) => throw new NotSupportedException("Only RunAsync is used.");

    public override Task<string> RunAsync(TaskContext context, string input) =>
        (Inner ?? throw new InvalidOperationException("The activity was not created.")).RunAsync(context, input);
}
