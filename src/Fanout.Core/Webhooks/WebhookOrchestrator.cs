using Microsoft.DurableTask;

namespace Fanout.Core.Webhooks;

/// <summary>
/// Durable, at-least-once delivery of one batch event to its receivers: each receiver is tried, and after a non-2xx or
/// no answer tried again after each of <see cref="WebhookDelivery.RetryDelays"/> (durable timers, so a restart of any
/// host resumes the schedule), with the same event and <c>webhook-id</c> every time. It runs apart from the batch,
/// which is already finished: a receiver that is down delays nothing. Returns how many receivers got the event.
/// Orchestrator code: no I/O, no clocks but the context's.
/// </summary>
public sealed class WebhookOrchestrator : TaskOrchestrator<WebhookDelivery, int>
{
    /// <summary>
    /// The instance id of the delivery of <paramref name="eventId"/>: one delivery per event, however often it is started.
    /// Not under the batch's id, so purging a finished batch's history never touches a delivery still retrying.
    /// </summary>
    public static string InstanceId(string eventId) => $"webhook-{eventId}";

    /// <inheritdoc />
    public override async Task<int> RunAsync(TaskOrchestrationContext context, WebhookDelivery input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var delivered = await Task.WhenAll(input.Receivers.Select(r => DeliverAsync(context, input, r)));
        return delivered.Count(d => d);
    }

    private static async Task<bool> DeliverAsync(TaskOrchestrationContext context, WebhookDelivery input, int receiver)
    {
        for (var attempt = 0; ; attempt++)
        {
            WebhookAttemptResult result;
            try
            {
                result = await context.CallActivityAsync<WebhookAttemptResult>(nameof(DeliverWebhookActivity), new WebhookAttempt(input.Event, receiver, attempt));
            }
            catch (TaskFailedException)
            {
                // The try itself broke (not the receiver's answer): the same as no answer.
                result = new WebhookAttemptResult(false, 0);
            }

            if (result.Delivered || result.GiveUp || attempt >= input.RetryDelays.Count)
            {
                return result.Delivered;
            }

            await context.CreateTimer(context.CurrentUtcDateTime.Add(input.RetryDelays[attempt]), CancellationToken.None);
        }
    }
}
