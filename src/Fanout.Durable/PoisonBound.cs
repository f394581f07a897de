using System.Collections.Concurrent;
using System.Globalization;
using Azure;
using Azure.Storage.Blobs;
using DurableTask.Core;
using DurableTask.Core.Command;
using DurableTask.Core.Middleware;
using Microsoft.Extensions.Logging;

namespace Fanout.Durable;

// Kept: TaskHubWorker has no poison bound, and an instance whose episode kills the host would run again at every start, forever (PoisonBoundTests).
/// <summary>
/// Orchestration dispatcher middleware that bounds poison. Each host process counts, in a blob per instance, the first
/// episode of an instance it runs, and clears the count once an episode ran through; so the count is the number of
/// starts in a row in which that instance's episode never finished (it took the host down with it). Past the bound
/// the episode is not run: the orchestration fails with the reason (a chunk's parent hears that its chunk failed, as
/// for any failed chunk), and its batch reads <c>failed</c> with code <c>orchestration_failed_repeatedly</c>.
/// </summary>
internal sealed partial class PoisonBound(BlobContainerClient journal, int maxAttempts, ILogger logger)
{
    readonly ConcurrentDictionary<string, byte> counted = new(StringComparer.Ordinal);
    int containerReady;

    /// <summary>The middleware: counts, then runs the episode or fails the orchestration instead.</summary>
    public async Task RunAsync(DispatchMiddlewareContext context, Func<Task> next)
    {
        var instanceId = context.GetProperty<OrchestrationInstance>().InstanceId;
        if (!counted.TryAdd(instanceId, 0))
        {
            await next().ConfigureAwait(false);
            return;
        }

        var attempts = await CountAsync(instanceId).ConfigureAwait(false);
        if (attempts > maxAttempts)
        {
            var reason = $"{Fanout.Core.Api.BatchObjects.PoisonReasonPrefix}its orchestration failed {attempts} times in a row (host crashes or errors while running it); it is not run again.";
            LogFailed(logger, instanceId, attempts);
            context.SetProperty(new OrchestratorExecutionResult
            {
                Actions =
                [
                    // The reason as a JSON string is the output Azure Storage keeps (it keeps no failure details).
                    new OrchestrationCompleteOrchestratorAction
                    {
                        OrchestrationStatus = OrchestrationStatus.Failed,
                        Result = System.Text.Json.JsonSerializer.Serialize(reason),
                    },
                ],
            });
        }
        else
        {
            await next().ConfigureAwait(false);
        }

        await ClearAsync(instanceId).ConfigureAwait(false);
    }

    async Task<int> CountAsync(string instanceId)
    {
        try
        {
            if (Interlocked.Exchange(ref containerReady, 1) == 0)
            {
                await journal.CreateIfNotExistsAsync().ConfigureAwait(false);
            }

            var blob = journal.GetBlobClient(Uri.EscapeDataString(instanceId));
            var count = 0;
            try
            {
                var content = await blob.DownloadContentAsync().ConfigureAwait(false);
                _ = int.TryParse(content.Value.Content.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out count);
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
            }

            count++;
            await blob.UploadAsync(BinaryData.FromString(count.ToString(CultureInfo.InvariantCulture)), overwrite: true).ConfigureAwait(false);
            return count;
        }
        catch (RequestFailedException e)
        {
            // The count is a safety net: never stop a batch because the journal could not be written.
            LogJournalFailed(logger, e, instanceId);
            return 0;
        }
    }

    async Task ClearAsync(string instanceId)
    {
        try
        {
            await journal.GetBlobClient(Uri.EscapeDataString(instanceId)).DeleteIfExistsAsync().ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            LogJournalFailed(logger, e, instanceId);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Orchestration {InstanceId} failed {Attempts} times in a row; failing it instead of running it again")]
    private static partial void LogFailed(ILogger logger, string instanceId, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not update the attempt count of {InstanceId}")]
    private static partial void LogJournalFailed(ILogger logger, Exception exception, string instanceId);
}
