using System.Diagnostics.Metrics;
using Fanout.Core.Telemetry;

namespace Fanout.Host.Scale;

/// <summary>
/// Counts the lines whose result this process stored, from Core's <c>fanout.lines.finished</c> counter (a listener in
/// the process, whether or not telemetry is exported): the share of a batch each host of a task hub ran.
/// </summary>
public sealed class WorkerLineCounter : IDisposable
{
    private const string InstrumentName = "fanout.lines.finished";
    private const string OutcomeTag = "fanout.line.outcome";
    private readonly MeterListener _listener = new();
    private long _succeeded;
    private long _failed;

    /// <summary>Starts listening.</summary>
    public WorkerLineCounter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // Called from FanoutTelemetry's type initializer as it creates its instruments: compare names only.
            if (instrument.Meter.Name == FanoutTelemetry.Name && instrument.Name == InstrumentName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.Start();
    }

    /// <summary>Gets the lines answered by this process.</summary>
    public long Succeeded => Interlocked.Read(ref _succeeded);

    /// <summary>Gets the lines this process stored as failed.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == OutcomeTag)
            {
                Interlocked.Add(ref string.Equals(tag.Value as string, "succeeded", StringComparison.Ordinal) ? ref _succeeded : ref _failed, value);
                return;
            }
        }
    }
}
