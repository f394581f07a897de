using Fanout.Core.Models;
using Fanout.Core.Orchestrations;
using Microsoft.DurableTask;
using Moq;
using Xunit;

namespace Fanout.Tests.Orchestrations;

/// <summary>A batch of more than <see cref="BatchOrchestrator.ChunksPerExecution"/> chunks continues as new: every history stays bounded.</summary>
public sealed class ContinueAsNewTests
{
    [Fact]
    public async Task A_batch_of_many_chunks_runs_them_in_executions_of_a_bounded_number_and_carries_its_counts()
    {
        const int chunkSize = 2;
        var total = (BatchOrchestrator.ChunksPerExecution * 2 + 25) * chunkSize - 1; // 225 chunks, the last one short
        var fake = new FakeOrchestration();
        fake.Context.Setup(c => c.CallActivityAsync<bool>(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<TaskOptions?>())).ReturnsAsync(true);
        var started = new List<int>();
        fake.Context
            .Setup(c => c.CallSubOrchestratorAsync<BatchCounts>(It.Is<TaskName>(n => n.Name == nameof(ChunkOrchestrator)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Returns(async (TaskName _, object? i, TaskOptions? _) =>
            {
                var chunk = (ChunkInput)i!;
                lock (started)
                {
                    started.Add(chunk.Chunk);
                }

                await Task.Delay(chunk.Chunk % 2);
                for (var line = chunk.Start; line < chunk.Start + chunk.Count; line++)
                {
                    fake.Store(line, new PromptOutcome(line, true, null, 3, 1));
                }

                return new BatchCounts(chunk.Count, 0, 3L * chunk.Count, chunk.Count, Throttled: 1);
            });
        BatchInput? continued = null;
        fake.Context.Setup(c => c.ContinueAsNew(It.IsAny<object?>(), It.IsAny<bool>()))
            .Callback((object? next, bool preserve) =>
            {
                Assert.True(preserve); // a cancel that arrived meanwhile is not lost
                continued = (BatchInput)next!;
            });

        var input = new BatchInput("b1", "gpt", 40, 0, Source: new BatchSource("in", "x.jsonl"), Prepared: new PreparedBatch(total, 0, chunkSize), MinChunkWindow: 4);
        var executions = new List<(BatchResult Result, int Chunks)>();
        while (true)
        {
            continued = null;
            started.Clear();
            var result = await new BatchOrchestrator().RunAsync(fake.Context.Object, input);
            executions.Add((result, started.Count));
            Assert.All(started, c => Assert.InRange(c, input.Resume?.NextChunk ?? 0, (input.Resume?.NextChunk ?? 0) + BatchOrchestrator.ChunksPerExecution - 1));
            if (continued is null)
            {
                break;
            }

            Assert.Equal(BatchOrchestrator.ChunksPerExecution, started.Count);
            Assert.Equal(input.Prepared, continued.Prepared); // a blob drop is not prepared again
            input = continued;
        }

        Assert.Equal([100, 100, 25], executions.Select(e => e.Chunks));
        Assert.Equal(new ChunkResume(200, new BatchCounts(400, 0, 1200, 400, Throttled: 200)), input.Resume);
        var final = executions[^1].Result;
        Assert.Equal(BatchStatus.Completed, final.Status);
        Assert.Equal(total, final.Counts.Completed);
        Assert.Equal(3L * total, final.Counts.PromptTokens);
        // The chunks' own 429 counts are carried across executions (Resume above), but the batch's final figure is the
        // one the result check reads from the attempt journals in storage (none here): one source for every report.
        Assert.Equal(0, final.Counts.Throttled);
        Assert.Single(fake.Checks);
    }

    [Fact]
    public async Task A_cancel_before_the_last_chunk_of_an_execution_does_not_continue_as_new()
    {
        var fake = new FakeOrchestration();
        fake.Context.Setup(c => c.CallActivityAsync<bool>(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<TaskOptions?>())).ReturnsAsync(true);
        var count = 0;
        fake.Context
            .Setup(c => c.CallSubOrchestratorAsync<BatchCounts>(It.Is<TaskName>(n => n.Name == nameof(ChunkOrchestrator)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Returns(async (TaskName _, object? i, TaskOptions? _) =>
            {
                if (Interlocked.Increment(ref count) == 10)
                {
                    fake.Cancel.TrySetResult("cancel");
                }

                await Task.Yield();
                return new BatchCounts(((ChunkInput)i!).Count);
            });

        var input = new BatchInput("b1", "gpt", 10, 0, Prepared: new PreparedBatch(1000, 0, 2), MinChunkWindow: 5);
        var result = await new BatchOrchestrator().RunAsync(fake.Context.Object, input);

        Assert.Equal(BatchStatus.Cancelled, result.Status);
        Assert.InRange(count, 10, 12);
        fake.Context.Verify(c => c.ContinueAsNew(It.IsAny<object?>(), It.IsAny<bool>()), Times.Never);
    }
}
