using System.Collections.Concurrent;
using System.Globalization;
using Azure;
using Azure.Storage.Blobs;
using DurableTask.Core;
using DurableTask.Core.History;
using Microsoft.Extensions.Logging;

namespace Fanout.Host.Durable;

/// <summary>
/// Bounds poison: an orchestration whose episodes keep failing (the episode throws in the backend, or takes the whole
/// host down with it, again at every start) would otherwise be retried forever. Each host process counts, in a blob
/// per instance, the first episode of an instance it runs; a completed episode clears the count. So the count is the
/// number of starts in a row whose first episode of that instance never completed. (An episode abandoned inside a
/// running process, say during a storage outage, is Durable Task's own retry with backoff and is not counted.) Past <see cref="MaxAttempts"/> the instance is not run
/// again: it is terminated with the reason, and its batch reads <c>failed</c> with that reason.
/// </summary>
internal sealed partial class EpisodeAttempts(BlobContainerClient journal, int maxAttempts, ILogger logger)
{
    /// <summary>The prefix of the termination reason that marks a poisoned batch.</summary>
    public const string ReasonPrefix = Fanout.Core.Api.BatchObjects.PoisonReasonPrefix;

    readonly ConcurrentDictionary<string, byte> unconfirmed = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, byte> confirmed = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, int> poisoned = new(StringComparer.Ordinal);
    int containerReady;

    /// <summary>Gets the most failed episodes an instance may have in a row.</summary>
    public int MaxAttempts => maxAttempts;

    /// <summary>
    /// Called when an episode is handed out. The first one of each instance in this process counts as an attempt until
    /// it completes; returns true when the instance has failed too often and must be terminated instead.
    /// </summary>
    public async Task<bool> BeginAsync(string instanceId, CancellationToken cancellationToken)
    {
        if (poisoned.ContainsKey(instanceId))
        {
            return true;
        }

        if (confirmed.ContainsKey(instanceId) || !unconfirmed.TryAdd(instanceId, 0))
        {
            return false;
        }

        return await CountAsync(instanceId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Called after an episode completed: the instance is healthy, its count is cleared.</summary>
    public async Task SucceededAsync(string instanceId)
    {
        if (!unconfirmed.TryRemove(instanceId, out _) && !poisoned.ContainsKey(instanceId))
        {
            return;
        }

        confirmed.TryAdd(instanceId, 0);
        try
        {
            await journal.GetBlobClient(BlobName(instanceId)).DeleteIfExistsAsync().ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            LogJournalFailed(logger, e, instanceId);
        }
    }

    /// <summary>
    /// Ends a poisoned instance without running it: its history gets the termination (the reason is its output), and
    /// a chunk's parent is told that the chunk failed, so the batch repairs or fails it as it does any failed chunk.
    /// </summary>
    public async Task TerminateAsync(IOrchestrationService service, TaskOrchestrationWorkItem workItem)
    {
        var attempts = poisoned.TryGetValue(workItem.InstanceId, out var n) ? n : maxAttempts + 1;
        var reason = $"{ReasonPrefix}its orchestration failed {attempts} times in a row (host crashes or errors while running it); it is not run again.";
        var output = System.Text.Json.JsonSerializer.Serialize(reason);
        var state = workItem.OrchestrationRuntimeState;
        var now = DateTime.UtcNow;
        state.AddEvent(new OrchestratorStartedEvent(-1));
        state.AddEvent(new ExecutionTerminatedEvent(-1, output));
        state.AddEvent(new ExecutionCompletedEvent(-1, output, OrchestrationStatus.Terminated));
        state.AddEvent(new OrchestratorCompletedEvent(-1));

        List<TaskMessage> toParent = [];
        if (state.ParentInstance is { } parent)
        {
            toParent.Add(new TaskMessage
            {
                OrchestrationInstance = parent.OrchestrationInstance,
                Event = new SubOrchestrationInstanceFailedEvent(-1, parent.TaskScheduleId, reason, string.Empty, new FailureDetails("OrchestrationFailedRepeatedly", reason, null, null, isNonRetriable: true)),
            });
        }

        var status = new OrchestrationState
        {
            OrchestrationInstance = state.OrchestrationInstance,
            Name = state.Name,
            Version = state.Version,
            Input = state.Input,
            Output = output,
            OrchestrationStatus = OrchestrationStatus.Terminated,
            CreatedTime = state.CreatedTime,
            LastUpdatedTime = now,
            CompletedTime = now,
            ParentInstance = state.ParentInstance,
        };
        LogTerminated(logger, workItem.InstanceId, attempts);
        await service.CompleteTaskOrchestrationWorkItemAsync(workItem, state, [], toParent, [], null!, status).ConfigureAwait(false);
        await service.ReleaseTaskOrchestrationWorkItemAsync(workItem).ConfigureAwait(false);
        await SucceededAsync(workItem.InstanceId).ConfigureAwait(false);
    }

    async Task<bool> CountAsync(string instanceId, CancellationToken cancellationToken)
    {
        try
        {
            if (Interlocked.Exchange(ref containerReady, 1) == 0)
            {
                await journal.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            var blob = journal.GetBlobClient(BlobName(instanceId));
            var count = 0;
            try
            {
                var content = await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false);
                _ = int.TryParse(content.Value.Content.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out count);
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
            }

            count++;
            await blob.UploadAsync(BinaryData.FromString(count.ToString(CultureInfo.InvariantCulture)), overwrite: true, cancellationToken).ConfigureAwait(false);
            if (count > maxAttempts)
            {
                poisoned[instanceId] = count;
                return true;
            }

            return false;
        }
        catch (RequestFailedException e)
        {
            // The count is a safety net: never stop a batch because the journal could not be written.
            LogJournalFailed(logger, e, instanceId);
            return false;
        }
    }

    static string BlobName(string instanceId) => Uri.EscapeDataString(instanceId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Orchestration {InstanceId} failed {Attempts} times in a row; terminating it instead of running it again")]
    private static partial void LogTerminated(ILogger logger, string instanceId, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not update the attempt count of {InstanceId}")]
    private static partial void LogJournalFailed(ILogger logger, Exception exception, string instanceId);
}
