using DurableTask.Core;
using DurableTask.Core.History;
using Fanout.Host.Durable.WorkItems;
using Xunit;
using static Fanout.Tests.Durable.WorkItemFakes;

namespace Fanout.Tests.Durable;

/// <summary>What the sidecar writes is turned into types Azure Storage can read back; everything else is left as it is.</summary>
public sealed class SidecarHistoryNormalizerTests
{
    [Fact]
    public void A_subclassed_sub_orchestration_start_is_stored_as_the_base_event_with_the_same_values()
    {
        var state = RunningOrchestration().OrchestrationRuntimeState;
        var created = new SidecarSubOrchestrationCreated(3)
        {
            Name = "ChunkOrchestrator",
            InstanceId = "batch_x:chunk:0",
            Input = "\"chunk input\"",
            Version = "1",
        };
        state.AddEvent(created);

        SidecarHistoryNormalizer.NormalizeHistory(state);

        var stored = Assert.IsType<SubOrchestrationInstanceCreatedEvent>(state.NewEvents[^1]);
        Assert.Equal(3, stored.EventId);
        Assert.Equal("ChunkOrchestrator", stored.Name);
        Assert.Equal("batch_x:chunk:0", stored.InstanceId);
        Assert.Equal("\"chunk input\"", stored.Input);
        Assert.Equal("1", stored.Version);
        Assert.Equal(created.Timestamp, stored.Timestamp);
        Assert.Same(stored, state.Events[^1]);
    }

    [Fact]
    public void Plain_events_and_a_missing_state_are_left_alone()
    {
        var state = RunningOrchestration().OrchestrationRuntimeState;
        var plain = new SubOrchestrationInstanceCreatedEvent(4) { Name = "ChunkOrchestrator" };
        state.AddEvent(plain);
        var before = state.NewEvents.ToList();

        SidecarHistoryNormalizer.NormalizeHistory(state);
        SidecarHistoryNormalizer.NormalizeHistory(null);

        Assert.Equal(before, state.NewEvents);
    }

    [Fact]
    public void Tags_of_another_dictionary_type_become_a_plain_dictionary_with_the_same_entries()
    {
        var started = new ExecutionStartedEvent(-1, "\"input\"")
        {
            Tags = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["batch"] = "b1", ["kind"] = "chunk" },
        };
        var untagged = new ExecutionStartedEvent(-1, "\"input\"");
        var plainTags = new Dictionary<string, string> { ["batch"] = "b2" };
        var alreadyPlain = new ExecutionStartedEvent(-1, "\"input\"") { Tags = plainTags };

        SidecarHistoryNormalizer.NormalizeTags([Message(started), Message(untagged), Message(alreadyPlain), Message(new TaskCompletedEvent(-1, 0, "1"))]);
        SidecarHistoryNormalizer.NormalizeTags(null);

        Assert.IsType<Dictionary<string, string>>(started.Tags);
        Assert.Equal(new Dictionary<string, string> { ["batch"] = "b1", ["kind"] = "chunk" }, started.Tags);
        Assert.Null(untagged.Tags);
        Assert.Same(plainTags, alreadyPlain.Tags);
    }

    /// <summary>Stands in for the sidecar's subclass of the event.</summary>
    private sealed class SidecarSubOrchestrationCreated(int eventId) : SubOrchestrationInstanceCreatedEvent(eventId);
}
