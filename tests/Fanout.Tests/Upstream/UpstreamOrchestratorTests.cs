using Fanout.Core.Models;
using Fanout.Core.Orchestrations;
using Fanout.Core.Upstream;
using Fanout.Tests.Orchestrations;
using Microsoft.DurableTask;
using Moq;
using Xunit;

namespace Fanout.Tests.Upstream;

/// <summary>
/// <see cref="UpstreamOrchestrator"/> on a mocked context whose timers fire at once and move the orchestration clock:
/// when it offloads, how it waits (the planner's looks), when it pulls back, and that it uploads once.
/// </summary>
public sealed class UpstreamOrchestratorTests
{
    // 10 lines of 50 quota tokens at 600 TPM: 50 s live, 55 s with the 10 % margin.
    private static readonly UpstreamPlan Plan = new(10, 50, 600, null, 0.10, 30);

    [Fact]
    public async Task Without_lines_for_the_Batch_API_nothing_is_uploaded()
    {
        var fake = Fake(Plan with { Lines = 0, Reason = "no batch member" });

        var outcome = await new UpstreamOrchestrator().RunAsync(fake.Context.Object, Input(deadlineIn: 3600));

        Assert.False(outcome.Offloaded);
        Assert.Equal(0, fake.Submits);
    }

    [Fact]
    public async Task Without_room_before_the_deadline_nothing_is_uploaded()
    {
        var fake = Fake(Plan);

        var outcome = await new UpstreamOrchestrator().RunAsync(fake.Context.Object, Input(deadlineIn: 50));

        Assert.False(outcome.Offloaded);
        Assert.Equal(0, fake.Submits);
    }

    [Fact]
    public async Task With_room_it_uploads_once_looks_every_poll_interval_and_returns_the_upstream_answers()
    {
        var fake = Fake(Plan);
        fake.EndsAfterPolls = 3;

        var outcome = await new UpstreamOrchestrator().RunAsync(fake.Context.Object, Input(deadlineIn: 3600));

        Assert.True(outcome.Offloaded);
        Assert.False(outcome.PulledBack);
        Assert.Equal(10, outcome.Counts.Completed);
        Assert.Equal(1, fake.Submits);
        Assert.Equal([30, 60, 90], fake.Orchestration.Timers.Select(t => (t - FakeOrchestration.Start).TotalSeconds));
        Assert.DoesNotContain(fake.Polls, p => p.Cancel);
    }

    [Fact]
    public async Task When_the_time_left_only_covers_the_live_need_it_cancels_upstream_and_keeps_what_finished()
    {
        var fake = Fake(Plan);
        fake.EndsAfterPolls = int.MaxValue;

        // Deadline in 120 s, live need 55 s: pull back at 65 s (looks at 30 s, 60 s, then the pull-back time).
        var outcome = await new UpstreamOrchestrator().RunAsync(fake.Context.Object, Input(deadlineIn: 120));

        Assert.True(outcome.Offloaded);
        Assert.True(outcome.PulledBack);
        Assert.Equal(3, outcome.Counts.Completed);
        Assert.Equal([30, 60, 65], fake.Orchestration.Timers.Select(t => (t - FakeOrchestration.Start).TotalSeconds));
        Assert.True(fake.Polls[^1].Cancel);
        Assert.Equal(1, fake.Submits);
    }

    [Fact]
    public async Task A_part_the_enqueued_token_quota_refused_is_asked_for_again_at_each_look_until_it_starts()
    {
        var fake = Fake(Plan);
        fake.RefusedSubmits = 2;

        var outcome = await new UpstreamOrchestrator().RunAsync(fake.Context.Object, Input(deadlineIn: 3600));

        Assert.True(outcome.Offloaded);
        Assert.Equal(10, outcome.Counts.Completed);
        Assert.Equal(3, fake.Submits);
        Assert.All(fake.Polls, p => Assert.False(p.Cancel));
    }

    private static UpstreamInput Input(int deadlineIn)
    {
        var created = new DateTimeOffset(FakeOrchestration.Start).ToUnixTimeSeconds();
        var batch = new BatchInput("b1", "gpt-4o-mini", 8, created, Deadline: created + deadlineIn);
        return new UpstreamInput(batch, new PreparedBatch(10, 0, 500));
    }

    private static Upstream Fake(UpstreamPlan plan) => new(plan);

    /// <summary>The upstream activities over one part of 10 lines, which ends after <see cref="EndsAfterPolls"/> looks (3 lines kept by a cancel).</summary>
    private sealed class Upstream
    {
        public Upstream(UpstreamPlan plan)
        {
            Context
                .Setup(c => c.CallActivityAsync<UpstreamPlan>(It.Is<TaskName>(n => n.Name == nameof(UpstreamPlanActivity)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
                .ReturnsAsync(plan);
            Context
                .Setup(c => c.CallActivityAsync<IReadOnlyList<UpstreamPart>>(It.Is<TaskName>(n => n.Name == nameof(UpstreamSubmitActivity)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
                .Returns(() =>
                {
                    // Refused while the quota is full: uploaded, no upstream batch yet.
                    Submits++;
                    return Task.FromResult<IReadOnlyList<UpstreamPart>>(Submits <= RefusedSubmits
                        ? [new UpstreamPart(0, "batch", 10, "file-1")]
                        : [new UpstreamPart(0, "batch", 10, "file-1", "batch_1", "in_progress")]);
                });
            Context
                .Setup(c => c.CallActivityAsync<IReadOnlyList<UpstreamPart>>(It.Is<TaskName>(n => n.Name == nameof(UpstreamPollActivity)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
                .Returns((TaskName _, object? input, TaskOptions? _) =>
                {
                    var step = (UpstreamStep)input!;
                    Polls.Add(step);
                    var part = step.Parts![0];
                    IReadOnlyList<UpstreamPart> parts = part.BatchId is null ? [part]
                        : step.Cancel ? [part with { Status = "cancelled", Collected = true, Answered = 3, Failed = 7 }]
                        : Polls.Count >= EndsAfterPolls ? [part with { Status = "completed", Collected = true, Answered = 10 }]
                        : [part];
                    return Task.FromResult(parts);
                });
        }

        public FakeOrchestration Orchestration { get; } = new();

        public Mock<TaskOrchestrationContext> Context => Orchestration.Context;

        public int EndsAfterPolls { get; set; } = 1;

        public int RefusedSubmits { get; set; }

        public int Submits { get; private set; }

        public List<UpstreamStep> Polls { get; } = [];
    }
}
