using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Fanout.Core.Webhooks;

/// <summary>One try of a webhook delivery: see <see cref="BatchWebhooks.DeliverAsync"/>.</summary>
public sealed class DeliverWebhookActivity(BatchWebhooks webhooks, DurableTaskClient client) : TaskActivity<WebhookAttempt, WebhookAttemptResult>
{
    /// <inheritdoc />
    public override Task<WebhookAttemptResult> RunAsync(TaskActivityContext context, WebhookAttempt input)
        => webhooks.DeliverAsync(input, client, CancellationToken.None);
}
