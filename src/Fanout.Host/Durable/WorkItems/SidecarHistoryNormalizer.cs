using DurableTask.Core;
using DurableTask.Core.History;

namespace Fanout.Host.Durable.WorkItems;

/// <summary>
/// Turns what the sidecar builds into what Azure Storage can read back: the sidecar's gRPC conversion produces a
/// subclass of one history event and a protobuf map for another's tags, which the backend stores by runtime type.
/// </summary>
internal static class SidecarHistoryNormalizer
{
    /// <summary>
    /// The sidecar records a sub-orchestration's start as a subclass of <see cref="SubOrchestrationInstanceCreatedEvent"/>;
    /// Azure Storage writes history rows by the event's runtime type and then cannot read that row back ("the
    /// TableEntity did not contain a 'EventType' property"). Store the base event instead.
    /// </summary>
    public static void NormalizeHistory(OrchestrationRuntimeState? state)
    {
        if (state is null)
        {
            return;
        }

        for (var i = 0; i < state.NewEvents.Count; i++)
        {
            if (state.NewEvents[i] is SubOrchestrationInstanceCreatedEvent created
                && created.GetType() != typeof(SubOrchestrationInstanceCreatedEvent))
            {
                var plain = new SubOrchestrationInstanceCreatedEvent(created.EventId);
                foreach (var property in typeof(SubOrchestrationInstanceCreatedEvent).GetProperties())
                {
                    if (property.CanRead && property.CanWrite && property.Name != nameof(created.EventId))
                    {
                        property.SetValue(plain, property.GetValue(created));
                    }
                }

                var index = state.Events.IndexOf(created);
                if (index >= 0)
                {
                    state.Events[index] = plain;
                }

                state.NewEvents[i] = plain;
            }
        }
    }

    /// <summary>
    /// The sidecar builds a sub-orchestration's ExecutionStartedEvent with a protobuf MapField as its Tags; Azure
    /// Storage serialises control-queue messages with Newtonsoft type names and cannot read that type back, so the
    /// sub-orchestration never starts. A plain dictionary round-trips.
    /// </summary>
    public static void NormalizeTags(IList<TaskMessage>? messages)
    {
        if (messages is null)
        {
            return;
        }

        foreach (var message in messages)
        {
            if (message.Event is ExecutionStartedEvent { Tags: { } tags } started && tags.GetType() != typeof(Dictionary<string, string>))
            {
                started.Tags = new Dictionary<string, string>(tags);
            }
        }
    }
}
