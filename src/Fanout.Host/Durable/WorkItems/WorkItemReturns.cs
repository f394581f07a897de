using DurableTask.Core;
using Microsoft.Extensions.Logging;

namespace Fanout.Host.Durable.WorkItems;

/// <summary>
/// Gives work items back to the orchestration service, best effort: a failure is logged, never thrown, because the
/// message reappears after its visibility timeout anyway.
/// </summary>
internal sealed partial class WorkItemReturns(IOrchestrationService inner, ILogger logger)
{
    /// <summary>Unlocks an activity so that another fetch (here or on another host) takes it at once.</summary>
    public Task GiveBackAsync(TaskActivityWorkItem workItem) =>
        TryAsync(() => inner.AbandonTaskActivityWorkItemAsync(workItem), "abandon activity", workItem.Id);

    /// <summary>Abandons and releases an orchestration work item, so its messages are delivered again.</summary>
    public async Task GiveBackAsync(TaskOrchestrationWorkItem workItem)
    {
        await TryAsync(() => inner.AbandonTaskOrchestrationWorkItemAsync(workItem), "abandon orchestration", workItem.InstanceId).ConfigureAwait(false);
        await TryAsync(() => inner.ReleaseTaskOrchestrationWorkItemAsync(workItem), "release orchestration", workItem.InstanceId).ConfigureAwait(false);
    }

    /// <summary>Ends the work item's extended session, if it has one, and releases it.</summary>
    public async Task EndSessionAsync(TaskOrchestrationWorkItem workItem)
    {
        if (workItem.Session is { } session)
        {
            await TryAsync(session.EndSessionAsync, "end session", workItem.InstanceId).ConfigureAwait(false);
        }

        await inner.ReleaseTaskOrchestrationWorkItemAsync(workItem).ConfigureAwait(false);
    }

    /// <summary>Runs a best-effort action on a work item; a failure is logged.</summary>
    public async Task TryAsync(Func<Task> action, string what, string workItemId)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Best effort: the message reappears after its visibility timeout anyway.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Failed(ex, what, workItemId);
        }
    }

    /// <summary>Logs that a best-effort action failed.</summary>
    public void Failed(Exception exception, string what, string workItemId) =>
        Log.WorkItemActionFailed(logger, exception, what, workItemId);

    static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Could not {Action} work item {WorkItemId}")]
        public static partial void WorkItemActionFailed(ILogger logger, Exception exception, string action, string workItemId);
    }
}
