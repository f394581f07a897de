using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace Fanout.Core.Telemetry;

/// <summary>
/// A batch's trace is identified by its id alone: the trace id and the span ids of its batch and chunk spans are
/// derived from the batch id, so a model call in any process, at any time, names its chunk span as parent without
/// carrying trace context through orchestration history; the batch and chunk spans are recorded when they end.
/// </summary>
public static class TraceIds
{
    // System.Diagnostics creates every span id itself. A span recorded after the fact must keep the id its children
    // already name, so, as Microsoft.DurableTask's own tracing does, the id is written into the field behind SpanId.
    private static readonly FieldInfo? SpanIdField = typeof(Activity).GetField("_spanId", BindingFlags.NonPublic | BindingFlags.Instance);
    private static readonly FieldInfo? IdField = typeof(Activity).GetField("_id", BindingFlags.NonPublic | BindingFlags.Instance);

    /// <summary>The trace of a batch.</summary>
    public static ActivityTraceId TraceId(string batchId) => ActivityTraceId.CreateFromBytes(Hash("trace", batchId)[..16]);

    /// <summary>The span of the batch as a whole.</summary>
    public static ActivitySpanId BatchSpanId(string batchId) => ActivitySpanId.CreateFromBytes(Hash("batch", batchId)[..8]);

    /// <summary>The span of chunk <paramref name="chunk"/> (lines chunk × ChunkSize onwards).</summary>
    public static ActivitySpanId ChunkSpanId(string batchId, int chunk) => ActivitySpanId.CreateFromBytes(Hash("chunk", $"{batchId}/{chunk}")[..8]);

    /// <summary>The context that the calls of a chunk name as parent.</summary>
    public static ActivityContext ChunkContext(string batchId, int chunk)
        => new(TraceId(batchId), ChunkSpanId(batchId, chunk), ActivityTraceFlags.Recorded);

    /// <summary>The context that chunk spans name as parent.</summary>
    public static ActivityContext BatchContext(string batchId)
        => new(TraceId(batchId), BatchSpanId(batchId), ActivityTraceFlags.Recorded);

    /// <summary>Gives a started activity the span id <paramref name="spanId"/>; false when this runtime does not allow it.</summary>
    internal static bool TrySetSpanId(Activity activity, ActivitySpanId spanId)
    {
        if (SpanIdField is null || IdField is null || activity.IdFormat != ActivityIdFormat.W3C)
        {
            return false;
        }

        SpanIdField.SetValue(activity, spanId.ToHexString());
        IdField.SetValue(activity, $"00-{activity.TraceId.ToHexString()}-{spanId.ToHexString()}-{(activity.Recorded ? "01" : "00")}");
        return true;
    }

    private static byte[] Hash(string kind, string value) => SHA256.HashData(Encoding.UTF8.GetBytes($"fanout:{kind}:{value}"));
}
