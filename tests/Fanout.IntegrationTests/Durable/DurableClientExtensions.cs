using Microsoft.DurableTask.Client;

namespace Fanout.IntegrationTests.Durable;

/// <summary>Client helpers that work the same on every backend behind the in-process client endpoint.</summary>
public static class DurableClientExtensions
{
    /// <summary>
    /// Polls <see cref="DurableTaskClient.GetInstanceAsync(string, bool, CancellationToken)"/> until the instance
    /// is completed, failed or terminated, and returns it with inputs and outputs. Use it instead of
    /// <c>WaitForInstanceCompletionAsync</c>, whose long-poll through the test host's gRPC server may never return.
    /// </summary>
    /// <exception cref="InvalidOperationException">The instance does not exist.</exception>
    public static async Task<OrchestrationMetadata> WaitForCompletionByPollingAsync(
        this DurableTaskClient client, string instanceId, TimeSpan pollInterval, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(pollInterval, TimeSpan.Zero);

        // An instance scheduled a moment ago may not be visible yet; give it a few polls before calling it missing.
        const int MissingPollsAllowed = 20;
        int missing = 0;
        while (true)
        {
            OrchestrationMetadata? metadata = await client
                .GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken)
                .ConfigureAwait(false);
            if (metadata is null)
            {
                if (++missing > MissingPollsAllowed)
                {
                    throw new InvalidOperationException($"Orchestration instance '{instanceId}' does not exist.");
                }
            }
            else if (IsTerminal(metadata.RuntimeStatus))
            {
                return await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false)
                    ?? metadata;
            }

            await Task.Delay(pollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    static bool IsTerminal(OrchestrationRuntimeStatus status) =>
        status is OrchestrationRuntimeStatus.Completed
            or OrchestrationRuntimeStatus.Failed
            or OrchestrationRuntimeStatus.Terminated;
}
