using Fanout.Core.Activities;
using Fanout.Core.Models;
using Fanout.Core.Orchestrations;
using Microsoft.DurableTask;
using Moq;
using Xunit;

namespace Fanout.Tests.Orchestrations;

/// <summary>maxTotalTokens: the window stops sending once the usage it was told of reaches the budget.</summary>
public sealed class TokenBudgetTests
{
    // FakeOrchestration's default outcome: 10 prompt + 5 completion tokens per line.
    private const int TokensPerLine = 15;

    private static ChunkInput Chunk(int count, int window, long? budget) => new("b1", "gpt", 500, 0, 0, count, window, TokenBudget: budget);

    [Fact]
    public async Task With_a_window_of_one_the_budget_stops_at_the_first_line_that_reaches_it()
    {
        var fake = new FakeOrchestration();

        var (counts, cancelled) = await PromptWindow.RunAsync(fake.Context.Object, Chunk(100, 1, 100), fake.Cancel.Task);

        Assert.False(cancelled);
        Assert.Equal(7, counts.Completed); // 7 × 15 = 105 ≥ 100 > 6 × 15
        Assert.Equal(7, fake.Started.Count);
    }

    [Theory]
    [InlineData(8, 100)]
    [InlineData(8, 1000)]
    [InlineData(32, 450)]
    public async Task The_overshoot_is_less_than_one_window_of_lines(int window, long budget)
    {
        var fake = new FakeOrchestration();

        var (counts, _) = await PromptWindow.RunAsync(fake.Context.Object, Chunk(1000, window, budget), fake.Cancel.Task);

        var spent = counts.PromptTokens + counts.CompletionTokens;
        Assert.InRange(spent, budget, budget + (window * TokensPerLine) - 1);
        Assert.Equal(fake.Started.Count, counts.Completed);
    }

    [Fact]
    public async Task A_budget_already_spent_sends_nothing()
    {
        var fake = new FakeOrchestration();

        var (counts, _) = await PromptWindow.RunAsync(fake.Context.Object, Chunk(50, 8, 0), fake.Cancel.Task);

        Assert.Empty(fake.Started);
        Assert.Equal(new BatchCounts(), counts);
    }

    [Fact]
    public async Task Lines_waiting_on_a_retry_timer_are_not_sent_once_the_budget_is_reached()
    {
        // Line 0 is throttled once and waits on a durable timer; whenever that fires, nothing is sent past the budget.
        var fake = new FakeOrchestration();
        fake.Outcome = w => w.Index == 0 && w.Attempt == 0 ? new PromptOutcome(0, false, RetryAfterMs: 5000, Throttled: true) : new PromptOutcome(w.Index, true, null, 10, 5);

        var (counts, _) = await PromptWindow.RunAsync(fake.Context.Object, Chunk(40, 4, 30), fake.Cancel.Task);

        Assert.InRange(counts.PromptTokens + counts.CompletionTokens, 30, 30 + (4 * TokensPerLine) - 1);
    }

    [Fact]
    public async Task A_budgeted_batch_runs_its_chunks_one_at_a_time_with_what_is_left_and_fills_the_rest_with_budget_exceeded()
    {
        var fake = new FakeOrchestration();
        FinalizeInput? finalized = null;
        fake.Context
            .Setup(c => c.CallActivityAsync<bool>(It.Is<TaskName>(n => n.Name == nameof(FinalizeBatchActivity)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Callback((TaskName _, object? i, TaskOptions? _) => finalized = (FinalizeInput)i!)
            .ReturnsAsync(true);
        var chunks = new List<ChunkInput>();
        var running = 0;
        var peakChunks = 0;
        fake.Context
            .Setup(c => c.CallSubOrchestratorAsync<BatchCounts>(It.Is<TaskName>(n => n.Name == nameof(ChunkOrchestrator)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Returns(async (TaskName _, object? i, TaskOptions? _) =>
            {
                var chunk = (ChunkInput)i!;
                lock (chunks)
                {
                    chunks.Add(chunk);
                    peakChunks = Math.Max(peakChunks, ++running);
                }

                var counts = await new ChunkOrchestrator().RunAsync(fake.Context.Object, chunk);
                lock (chunks)
                {
                    running--;
                }

                return counts;
            });
        const long budget = 2000;
        var input = new BatchInput("b1", "gpt", 30, 0, Prepared: new PreparedBatch(1200, 0, 100), ChunkSize: 100, MinChunkWindow: 10, MaxTotalTokens: budget);

        var result = await new BatchOrchestrator().RunAsync(fake.Context.Object, input);

        var spent = result.Counts.PromptTokens + result.Counts.CompletionTokens;
        Assert.InRange(spent, budget, budget + (30 * TokensPerLine) - 1);
        Assert.Equal(1, peakChunks);
        Assert.All(chunks, c => Assert.Equal(30, c.Window));
        Assert.Equal(budget, chunks[0].TokenBudget);
        Assert.Equal(budget - (100 * TokensPerLine), chunks[1].TokenBudget);
        Assert.Equal(2, chunks.Count);
        Assert.True(result.BudgetExceeded);
        Assert.Equal(BatchStatus.Completed, result.Status);
        Assert.Equal(1200, result.Counts.Completed + result.Counts.Failed);
        Assert.Equal(fake.Started.Count, result.Counts.Completed);
        Assert.Equal(result, finalized!.Result);
    }

    [Fact]
    public async Task After_a_budgeted_chunk_fails_as_a_whole_the_next_one_gets_the_budget_left_by_what_storage_holds()
    {
        var fake = new FakeOrchestration();
        fake.Context.Setup(c => c.CallActivityAsync<bool>(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<TaskOptions?>())).ReturnsAsync(true);
        var chunks = new List<ChunkInput>();
        fake.Context
            .Setup(c => c.CallSubOrchestratorAsync<BatchCounts>(It.Is<TaskName>(n => n.Name == nameof(ChunkOrchestrator)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Returns(async (TaskName _, object? i, TaskOptions? _) =>
            {
                var chunk = (ChunkInput)i!;
                chunks.Add(chunk);
                await Task.Yield();
                if (chunk.Chunk == 0)
                {
                    // Spends 40 lines' worth of tokens, stores them, then fails without reporting any of it.
                    for (var line = 0; line < 40; line++)
                    {
                        fake.Store(line, new PromptOutcome(line, true, null, 10, 5));
                    }

                    throw new TaskFailedException(nameof(ChunkOrchestrator), 0, new InvalidOperationException("chunk lost"));
                }

                return await new ChunkOrchestrator().RunAsync(fake.Context.Object, chunk);
            });
        var input = new BatchInput("b1", "gpt", 10, 0, Prepared: new PreparedBatch(300, 0, 100), ChunkSize: 100, MaxTotalTokens: 1000, MaxCallSeconds: 1);

        var result = await new BatchOrchestrator().RunAsync(fake.Context.Object, input);

        Assert.Equal(1000 - (40 * TokensPerLine), chunks[1].TokenBudget);
        Assert.InRange(result.Counts.PromptTokens + result.Counts.CompletionTokens, 1000, 1000 + (10 * TokensPerLine) - 1);
        Assert.True(result.BudgetExceeded);
    }

    [Fact]
    public async Task A_batch_under_its_budget_is_not_marked_over_it()
    {
        var fake = new FakeOrchestration();
        fake.Context.Setup(c => c.CallActivityAsync<bool>(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<TaskOptions?>())).ReturnsAsync(true);
        var input = new BatchInput("b1", "gpt", 8, 0, Prepared: new PreparedBatch(20, 0, 500), MaxTotalTokens: 20 * TokensPerLine + 1);

        var result = await new BatchOrchestrator().RunAsync(fake.Context.Object, input);

        Assert.False(result.BudgetExceeded);
        Assert.Equal(20, result.Counts.Completed);
    }
}
