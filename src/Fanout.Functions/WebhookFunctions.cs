using Fanout.Core.Webhooks;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Fanout.Functions;

/// <summary>Webhook delivery (<c>Fanout:Webhooks</c>): the delivery orchestration and one try, each delegating to Fanout.Core.</summary>
public sealed class WebhookFunctions(BatchWebhooks webhooks)
{
    /// <summary>The delivery of one batch event to its receivers, with durable retries.</summary>
    [Function(nameof(WebhookOrchestrator))]
    public static Task<int> RunDeliveryAsync([OrchestrationTrigger] TaskOrchestrationContext context)
        => new WebhookOrchestrator().RunAsync(context, context.GetInput<WebhookDelivery>()!);

    /// <summary>One signed POST.</summary>
    [Function(nameof(DeliverWebhookActivity))]
    public Task<WebhookAttemptResult> DeliverAsync([ActivityTrigger] WebhookAttempt attempt, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
        => webhooks.DeliverAsync(attempt, client, cancellationToken);
}
