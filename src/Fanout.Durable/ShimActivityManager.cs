using DurableTask.Core;

namespace Fanout.Durable;

/// <summary>Hands the activity dispatcher an empty <see cref="ShimActivity"/>; the middleware fills it per work item.</summary>
internal sealed class ShimActivityManager : INameVersionObjectManager<TaskActivity>
{
    public void Add(ObjectCreator<TaskActivity> creator) => throw new NotSupportedException("Activities come from the Durable Task registry.");

    public TaskActivity GetObject(string name, string? version) => new ShimActivity();
}
