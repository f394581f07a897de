using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;

namespace Fanout.Durable;

/// <summary>
/// Hands the orchestration dispatcher our orchestrators, wrapped by <see cref="DurableTaskShimFactory"/>. The
/// dispatcher builds and caches the executor itself, so an extended session replays nothing between episodes.
/// </summary>
internal sealed class ShimOrchestrationManager(IDurableTaskFactory factory, IServiceProvider services, DurableTaskShimFactory shims)
    : INameVersionObjectManager<TaskOrchestration>
{
    public void Add(ObjectCreator<TaskOrchestration> creator) => throw new NotSupportedException("Orchestrators come from the Durable Task registry.");

    public TaskOrchestration? GetObject(string name, string? version)
    {
        TaskName taskName = new(name);
        return factory.TryCreateOrchestrator(taskName, services, out ITaskOrchestrator? orchestrator)
            ? shims.CreateOrchestration(taskName, orchestrator)
            : null;
    }
}
