using Fanout.Core.Activities;
using Microsoft.DurableTask;

namespace Fanout.Core.Orchestrations;

/// <summary>Registers Fanout's orchestrators and activities on a Durable Task worker (portable host, tests).</summary>
public static class FanoutTasks
{
    /// <summary>Adds every orchestrator and activity, by class name (the Functions app uses the same names).</summary>
    public static DurableTaskRegistry AddFanoutTasks(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry
            .AddOrchestrator<BatchOrchestrator>()
            .AddOrchestrator<ChunkOrchestrator>()
            .AddActivity<PromptActivity>()
            .AddActivity<PrepareBatchActivity>()
            .AddActivity<CheckResultsActivity>()
            .AddActivity<FinalizeBatchActivity>()
            .AddOrchestrator<UpstreamOrchestrator>()
            .AddActivity<Upstream.UpstreamPlanActivity>()
            .AddActivity<Upstream.UpstreamSubmitActivity>()
            .AddActivity<Upstream.UpstreamPollActivity>()
            .AddActivity<Upstream.MissingLinesActivity>()
            .AddOrchestrator<Webhooks.WebhookOrchestrator>()
            .AddActivity<Webhooks.DeliverWebhookActivity>();
    }
}
