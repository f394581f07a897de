using Fanout.Core.Models;
using Fanout.Core.Telemetry;
using Microsoft.DurableTask;

namespace Fanout.Core.Orchestrations;

/// <summary>One chunk of a large batch: a window over a contiguous range of lines, with its own bounded history.</summary>
public sealed class ChunkOrchestrator : TaskOrchestrator<ChunkInput, BatchCounts>
{
    /// <inheritdoc />
    public override async Task<BatchCounts> RunAsync(TaskOrchestrationContext context, ChunkInput input)
    {
        var cancel = context.WaitForExternalEvent<string>(PromptWindow.CancelEvent);
        context.SetCustomStatus(new BatchProgress(BatchStatus.InProgress, input.Count, new BatchCounts(), input.Window));
        var started = context.CurrentUtcDateTime;
        var lines = await LinesToRunAsync(context, input);
        var (counts, _) = await PromptWindow.RunAsync(context, input, cancel, (c, window) =>
            context.SetCustomStatus(new BatchProgress(BatchStatus.InProgress, input.Count, c, window)), lines);
        if (!context.IsReplaying)
        {
            BatchTracing.RecordChunk(input.BatchId, input.Chunk, input.Count, started, context.CurrentUtcDateTime, counts);
        }

        return counts;
    }

    /// <summary>The lines of <paramref name="input"/> to run: all (null), or, after the Batch API answered some, those without a stored result.</summary>
    internal static async Task<IReadOnlyList<int>?> LinesToRunAsync(TaskOrchestrationContext context, ChunkInput input)
        => input.SkipAnswered
            ? await context.CallActivityAsync<IReadOnlyList<int>>(
                nameof(Upstream.MissingLinesActivity), new Upstream.MissingLinesInput(input.BatchId, input.ChunkSize, input.Chunk, input.Count), PromptWindow.ActivityRetry)
            : null;
}
