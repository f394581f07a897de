using Fanout.Core.Activities;
using Fanout.Core.Models;
using Fanout.Core.Orchestrations;
using Microsoft.DurableTask;
using Moq;
using Xunit;

namespace Fanout.Tests.Orchestrations;

public sealed class BatchOrchestratorTests
{
    public static TheoryData<int, int, int, int[]> SlotCases => new()
    {
        { 50, 2, 8, [25, 25] },
        { 200, 20, 8, [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10] },
        { 200, 40, 8, [8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8] },
        { 16, 200, 8, [8, 8] },
        { 10, 3, 8, [10] },
        { 7, 5, 8, [7] },
        { 101, 4, 8, [26, 25, 25, 25] },
    };

    [Theory]
    [MemberData(nameof(SlotCases))]
    public void Slot_windows_split_the_cap_exactly(int cap, int chunks, int minWindow, int[] expected)
    {
        var windows = BatchOrchestrator.SlotWindows(cap, chunks, minWindow);

        Assert.Equal(expected, windows);
        Assert.Equal(Math.Min(cap, windows.Sum()), windows.Sum());
    }

    [Fact]
    public async Task Small_batch_runs_inline_then_finalizes_with_counts()
    {
        // Activities are held until the window has filled, so the peak does not depend on how fast this machine is.
        var fake = new FakeOrchestration { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        FinalizeInput? finalized = null;
        fake.Context
            .Setup(c => c.CallActivityAsync<bool>(It.Is<TaskName>(n => n.Name == nameof(FinalizeBatchActivity)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Callback((TaskName _, object? i, TaskOptions? _) => finalized = (FinalizeInput)i!)
            .ReturnsAsync(true);
        var input = new BatchInput("b1", "gpt", 8, 1_700_000_000, Prepared: new PreparedBatch(120, 3, 500));

        var run = new BatchOrchestrator().RunAsync(fake.Context.Object, input);
        while (fake.PeakInFlight < 8 && !run.IsCompleted)
        {
            await Task.Delay(10);
        }

        fake.Gate.SetResult();
        var result = await run;

        Assert.Equal(BatchStatus.Completed, result.Status);
        Assert.Equal(120, result.Counts.Completed);
        Assert.Equal(8, fake.PeakInFlight);
        Assert.All(fake.Started, w => Assert.Equal(8, w.Cap)); // each call carries the batch's cap to the activity's gate
        Assert.NotNull(finalized);
        Assert.Equal(result, finalized!.Result);
        fake.Context.Verify(c => c.CallSubOrchestratorAsync<BatchCounts>(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<TaskOptions?>()), Times.Never);
    }

    [Fact]
    public async Task Large_batch_fans_out_chunks_whose_windows_never_sum_above_the_cap()
    {
        var fake = new FakeOrchestration();
        fake.Context.Setup(c => c.CallActivityAsync<bool>(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<TaskOptions?>())).ReturnsAsync(true);
        var running = 0;
        var peakWindowSum = 0;
        var chunks = new List<ChunkInput>();
        var gate = new object();
        fake.Context
            .Setup(c => c.CallSubOrchestratorAsync<BatchCounts>(It.Is<TaskName>(n => n.Name == nameof(ChunkOrchestrator)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Returns(async (TaskName _, object? i, TaskOptions? _) =>
            {
                var chunk = (ChunkInput)i!;
                lock (gate)
                {
                    chunks.Add(chunk);
                    running += chunk.Window;
                    peakWindowSum = Math.Max(peakWindowSum, running);
                }

                await Task.Delay(chunk.Chunk % 3);
                lock (gate)
                {
                    running -= chunk.Window;
                }

                for (var line = chunk.Start; line < chunk.Start + chunk.Count; line++)
                {
                    fake.Store(line, new PromptOutcome(line, true, null, 1, 0));
                }

                return new BatchCounts(chunk.Count, 0, chunk.Count, 0);
            });
        var input = new BatchInput("b1", "gpt", 20, 0, Prepared: new PreparedBatch(10_250, 0, 500));

        var result = await new BatchOrchestrator().RunAsync(fake.Context.Object, input);

        Assert.Equal(10_250, result.Counts.Completed);
        Assert.Equal(21, chunks.Count);
        Assert.Equal(Enumerable.Range(0, 21), chunks.Select(c => c.Chunk).Order());
        Assert.Equal(10_250, chunks.Sum(c => c.Count));
        Assert.All(chunks, c => Assert.Equal(c.Chunk * 500, c.Start));
        Assert.InRange(peakWindowSum, 1, 20);
        Assert.All(chunks, c => Assert.Equal(20, c.Cap)); // the batch's cap, not the chunk's share of it
        Assert.Empty(fake.Started);
        Assert.Equal([[]], fake.Checks);
    }

    [Fact]
    public async Task Lines_a_failed_chunk_left_without_a_result_are_run_again_before_finalize()
    {
        var fake = new FakeOrchestration();
        FinalizeInput? finalized = null;
        fake.Context
            .Setup(c => c.CallActivityAsync<bool>(It.Is<TaskName>(n => n.Name == nameof(FinalizeBatchActivity)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Callback((TaskName _, object? i, TaskOptions? _) => finalized = (FinalizeInput)i!)
            .ReturnsAsync(true);
        fake.Context
            .Setup(c => c.CallSubOrchestratorAsync<BatchCounts>(It.Is<TaskName>(n => n.Name == nameof(ChunkOrchestrator)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Returns(async (TaskName _, object? i, TaskOptions? _) =>
            {
                var chunk = (ChunkInput)i!;
                await Task.Yield();
                // Chunk 1 fails as a whole after its first 30 lines: lines 130..199 never ran.
                var ran = chunk.Chunk == 1 ? 30 : chunk.Count;
                for (var line = chunk.Start; line < chunk.Start + ran; line++)
                {
                    fake.Store(line, new PromptOutcome(line, line != 5, line == 5 ? "content_filter" : null, 10, 5));
                }

                return chunk.Chunk == 1
                    ? throw new TaskFailedException(nameof(ChunkOrchestrator), 1, new TaskFailureDetails("InvalidOperationException", "chunk failed", null, null, null))
                    : new BatchCounts(ran, 0, 10 * ran, 5 * ran);
            });
        var input = new BatchInput("b1", "gpt", 20, 0, Prepared: new PreparedBatch(250, 0, 100), ChunkSize: 100, MinChunkWindow: 10);

        var result = await new BatchOrchestrator().RunAsync(fake.Context.Object, input);

        Assert.Equal(Enumerable.Range(130, 70), fake.Started.Select(s => s.Index).Order());
        Assert.Equal(2, fake.Checks.Count);
        Assert.Equal(Enumerable.Range(130, 70), fake.Checks[0]);
        Assert.Empty(fake.Checks[1]);
        // The counters come from what storage holds, the lines the failed chunk finished included.
        Assert.Equal(new BatchCounts(249, 1, 2500, 1250), result.Counts);
        Assert.Equal(BatchStatus.Completed, result.Status);
        Assert.Equal(result, finalized!.Result);
        // The failed chunk's slot rested until the activities it left behind must be done.
        Assert.Equal([FakeOrchestration.Start.Add(BatchOrchestrator.MaxCallTime(input))], fake.Timers);
    }

    [Fact]
    public async Task The_slot_of_a_failed_chunk_is_not_reused_until_its_activities_must_have_finished()
    {
        var fake = new FakeOrchestration();
        fake.Context.Setup(c => c.CallActivityAsync<bool>(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<TaskOptions?>())).ReturnsAsync(true);
        var started = new List<(int Chunk, DateTime At)>();
        fake.Context
            .Setup(c => c.CallSubOrchestratorAsync<BatchCounts>(It.Is<TaskName>(n => n.Name == nameof(ChunkOrchestrator)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Returns(async (TaskName _, object? i, TaskOptions? _) =>
            {
                var chunk = (ChunkInput)i!;
                lock (started)
                {
                    started.Add((chunk.Chunk, fake.Context.Object.CurrentUtcDateTime));
                }

                await Task.Yield();
                for (var line = chunk.Start; line < chunk.Start + chunk.Count; line++)
                {
                    fake.Store(line, new PromptOutcome(line, true));
                }

                return chunk.Chunk == 0
                    ? throw new TaskFailedException(nameof(ChunkOrchestrator), 0, new TaskFailureDetails("InvalidOperationException", "chunk failed", null, null, null))
                    : new BatchCounts(chunk.Count);
            });
        // One slot (the cap is below two chunk windows), 120 s per call at most.
        var input = new BatchInput("b1", "gpt", 10, 0, Prepared: new PreparedBatch(300, 0, 100), ChunkSize: 100, MinChunkWindow: 10, MaxCallSeconds: 120);

        var result = await new BatchOrchestrator().RunAsync(fake.Context.Object, input);

        Assert.Equal([0, 1, 2], started.Select(s => s.Chunk));
        Assert.Equal(FakeOrchestration.Start, started[0].At);
        Assert.True(started[1].At >= FakeOrchestration.Start.AddSeconds(120), $"chunk 1 started at {started[1].At:O}");
        Assert.Equal(300, result.Counts.Completed);
    }

    [Fact]
    public async Task Lines_still_without_a_result_after_the_repair_rounds_count_as_failed()
    {
        var fake = new FakeOrchestration
        {
            Outcome = w => w.Index == 3
                ? throw new TaskFailedException(nameof(PromptActivity), 3, new TaskFailureDetails("RequestFailedException", "storage down", null, null, null))
                : new PromptOutcome(w.Index, true),
        };
        fake.Context.Setup(c => c.CallActivityAsync<bool>(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<TaskOptions?>())).ReturnsAsync(true);
        var input = new BatchInput("b1", "gpt", 4, 0, Prepared: new PreparedBatch(10, 0, 500), MaxDurableRetries: 1);

        var result = await new BatchOrchestrator().RunAsync(fake.Context.Object, input);

        Assert.Equal(BatchOrchestrator.RepairRounds + 1, fake.Checks.Count);
        Assert.All(fake.Checks, c => Assert.Equal([3], c));
        // Two tries in the first run, and two in each repair round.
        Assert.Equal(2 * (BatchOrchestrator.RepairRounds + 1), fake.Started.Count(s => s.Index == 3));
        Assert.Equal(9, result.Counts.Completed);
        Assert.Equal(1, result.Counts.Failed);
    }

    [Fact]
    public async Task Blob_drop_with_a_fatal_input_error_fails_the_batch_and_still_writes_batch_json()
    {
        var fake = new FakeOrchestration();
        fake.Context
            .Setup(c => c.CallActivityAsync<PreparedBatch>(It.Is<TaskName>(n => n.Name == nameof(PrepareBatchActivity)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .ReturnsAsync(new PreparedBatch(0, 0, 500, "empty_batch", "The input has no lines."));
        fake.Context.Setup(c => c.CallActivityAsync<bool>(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<TaskOptions?>())).ReturnsAsync(true);
        var input = new BatchInput("b1", "gpt", 8, 0, Source: new BatchSource("batches-in", "x.jsonl"));

        var result = await new BatchOrchestrator().RunAsync(fake.Context.Object, input);

        Assert.Equal(BatchStatus.Failed, result.Status);
        Assert.Equal("empty_batch", result.ErrorCode);
        Assert.Empty(fake.Started);
        fake.Context.Verify(c => c.CallActivityAsync<bool>(It.Is<TaskName>(n => n.Name == nameof(FinalizeBatchActivity)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()), Times.Once);
    }
}
