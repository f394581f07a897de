using System.Collections.Concurrent;

namespace Fanout.Core.Watching;

/// <summary>
/// The <see cref="RateWindow"/> of each batch this process has been asked about (a GET, an event stream, a list),
/// bounded: a finished batch is forgotten, and past <see cref="MaxBatches"/> the oldest readings are dropped.
/// </summary>
public static class BatchRates
{
    /// <summary>Most batches whose samples are kept.</summary>
    public const int MaxBatches = 4096;

    private static readonly ConcurrentDictionary<string, RateWindow> Windows = new(StringComparer.Ordinal);

    /// <summary>The live progress of a running batch from this reading of its counters.</summary>
    public static LiveProgress Observe(string batchId, DateTimeOffset now, DateTimeOffset createdAt, long total, long lines, long tokens, int rateLimited, int retries)
    {
        if (Windows.Count >= MaxBatches)
        {
            Windows.Clear();
        }

        return Windows.GetOrAdd(batchId, _ => new RateWindow()).Observe(new RateWindow.Sample(now, lines, tokens), createdAt, total, rateLimited, retries);
    }

    /// <summary>The progress of a finished batch: no rate, no ETA; its samples are dropped.</summary>
    public static LiveProgress Finished(string batchId, int rateLimited, int retries)
    {
        Windows.TryRemove(batchId, out _);
        return new LiveProgress(0, 0, 0, 0, rateLimited, retries);
    }
}
