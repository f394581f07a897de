using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Fanout.Core.Activities;
using Fanout.Core.Api;
using Fanout.Core.Models;
using Fanout.Core.Orchestrations;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Fanout.Functions;

/// <summary>Orchestration, activity and blob triggers: each delegates to Fanout.Core.</summary>
public sealed class DurableFunctions(PromptExecutor executor, BatchActivities activities, BlobDropStarter blobDrops, Fanout.Core.Upstream.UpstreamService upstream)
{
    /// <summary>The batch orchestrator.</summary>
    [Function(nameof(BatchOrchestrator))]
    public static Task<BatchResult> RunBatchAsync([OrchestrationTrigger] TaskOrchestrationContext context)
        => new BatchOrchestrator().RunAsync(context, context.GetInput<BatchInput>()!);

    /// <summary>One chunk of a large batch.</summary>
    [Function(nameof(ChunkOrchestrator))]
    public static Task<BatchCounts> RunChunkAsync([OrchestrationTrigger] TaskOrchestrationContext context)
        => new ChunkOrchestrator().RunAsync(context, context.GetInput<ChunkInput>()!);

    /// <summary>A batch's Batch API phase (a deadline and a <c>batch</c> pool member).</summary>
    [Function(nameof(UpstreamOrchestrator))]
    public static Task<Fanout.Core.Upstream.UpstreamOutcome> RunUpstreamAsync([OrchestrationTrigger] TaskOrchestrationContext context)
        => new UpstreamOrchestrator().RunAsync(context, context.GetInput<Fanout.Core.Upstream.UpstreamInput>()!);

    /// <summary>What the deadline planner needs.</summary>
    [Function(nameof(Fanout.Core.Upstream.UpstreamPlanActivity))]
    public Task<Fanout.Core.Upstream.UpstreamPlan> PlanUpstreamAsync([ActivityTrigger] Fanout.Core.Upstream.UpstreamStep step, CancellationToken cancellationToken)
        => upstream.PlanAsync(step, cancellationToken);

    /// <summary>Uploads the lines and creates the upstream batches.</summary>
    [Function(nameof(Fanout.Core.Upstream.UpstreamSubmitActivity))]
    public Task<IReadOnlyList<Fanout.Core.Upstream.UpstreamPart>> SubmitUpstreamAsync([ActivityTrigger] Fanout.Core.Upstream.UpstreamStep step, CancellationToken cancellationToken)
        => upstream.SubmitAsync(step, cancellationToken);

    /// <summary>Looks at the upstream batches and stores the output of those that ended.</summary>
    [Function(nameof(Fanout.Core.Upstream.UpstreamPollActivity))]
    public Task<IReadOnlyList<Fanout.Core.Upstream.UpstreamPart>> PollUpstreamAsync([ActivityTrigger] Fanout.Core.Upstream.UpstreamStep step, CancellationToken cancellationToken)
        => upstream.PollAsync(step, cancellationToken);

    /// <summary>Lines of a chunk without a stored result.</summary>
    [Function(nameof(Fanout.Core.Upstream.MissingLinesActivity))]
    public Task<IReadOnlyList<int>> MissingLinesAsync([ActivityTrigger] Fanout.Core.Upstream.MissingLinesInput input, CancellationToken cancellationToken)
        => upstream.MissingAsync(input, cancellationToken);

    /// <summary>One prompt.</summary>
    [Function(nameof(PromptActivity))]
    public Task<PromptOutcome> PromptAsync([ActivityTrigger] PromptWorkItem item, CancellationToken cancellationToken)
        => executor.ExecuteAsync(item, cancellationToken);

    /// <summary>Validates and chunks a dropped blob.</summary>
    [Function(nameof(PrepareBatchActivity))]
    public Task<PreparedBatch> PrepareAsync([ActivityTrigger] PrepareInput input, CancellationToken cancellationToken)
        => activities.PrepareAsync(input, cancellationToken);

    /// <summary>Finds lines with no stored result before finalize.</summary>
    [Function(nameof(CheckResultsActivity))]
    public Task<ResultCheck> CheckResultsAsync([ActivityTrigger] ResultCheckInput input, CancellationToken cancellationToken)
        => activities.CheckResultsAsync(input, cancellationToken);

    /// <summary>Writes the ordered output.</summary>
    [Function(nameof(FinalizeBatchActivity))]
    public async Task<bool> FinalizeAsync([ActivityTrigger] FinalizeInput input, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        await activities.FinalizeAsync(input, cancellationToken, client);
        return true;
    }

    /// <summary>The app setting naming the input container (default <c>batches-in</c>, like the store's).</summary>
    public const string InputContainerSetting = "Fanout:Storage:InputContainer";

    /// <summary>
    /// A JSONL file uploaded to the input container (<c>%Fanout:Storage:InputContainer%</c>, the container the store
    /// reads; <c>batches-in</c> by default) starts a batch, once per name and content.
    /// </summary>
    [Function("BatchBlobDrop")]
    public Task OnBlobAsync(
        [BlobTrigger("%" + InputContainerSetting + "%/{name}", Source = BlobTriggerSource.EventGrid, Connection = "AzureWebJobsStorage")] BlobClient blob,
        string name,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        return blobDrops.StartAsync(name, ct => blob.OpenReadAsync(new BlobOpenReadOptions(allowModifications: false), ct), client, cancellationToken);
    }
}
