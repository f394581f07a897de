using System.Diagnostics.Tracing;

namespace Fanout.Bench.Measuring;

/// <summary>
/// Counts the methods the JIT compiles in this process while a run lasts (<c>--count-jit</c>), by declaring type, to find
/// code generated over and over (dynamic methods, serializers) rather than compiled once. Uses the runtime's own event
/// source (JIT keyword, verbose: MethodJittingStarted).
/// </summary>
internal sealed class JitCounter : EventListener
{
    private const EventKeywords JitKeyword = (EventKeywords)0x10;
    private readonly NamedCounts _counts = new();

    /// <summary>Zeroes the counts and starts counting.</summary>
    public void Start() => _counts.Start();

    /// <summary>Stops counting and returns the counts by declaring type, largest first.</summary>
    public IReadOnlyDictionary<string, long> Stop() => _counts.Stop();

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, JitKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_counts.Active || eventData.EventName != "MethodJittingStarted_V1" || eventData.PayloadNames is null)
        {
            return;
        }

        var index = eventData.PayloadNames.IndexOf("MethodNamespace");
        var type = index >= 0 ? eventData.Payload?[index] as string ?? "?" : "?";

        // Generic instantiations differ only in their arguments: keep the open type's name.
        var bracket = type.IndexOf('[', StringComparison.Ordinal);
        _counts.Add(bracket > 0 ? type[..bracket] : type);
    }
}
