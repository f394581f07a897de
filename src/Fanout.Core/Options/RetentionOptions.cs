namespace Fanout.Core.Options;

/// <summary>How long a finished batch's orchestration history and work blobs are kept (<c>Fanout:Durable</c>).</summary>
public sealed class RetentionOptions
{
    /// <summary>Configuration section (shared with the portable host's durable backend settings).</summary>
    public const string SectionName = "Fanout:Durable";

    /// <summary>
    /// How long after a batch finished (its ordered output committed) its orchestration history, that of its chunk
    /// orchestrations and its work blobs are kept; 0 purges them at the next pass. The batch object, results and
    /// errors stay readable from the output container.
    /// </summary>
    public TimeSpan HistoryRetention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How often the portable host looks for batches to purge; absent = a quarter of the retention, between 5 s and 5 min.</summary>
    public TimeSpan? HistoryPurgeInterval { get; set; }

    /// <summary>The interval actually used.</summary>
    public TimeSpan PurgeInterval => HistoryPurgeInterval
        ?? TimeSpan.FromTicks(Math.Clamp(HistoryRetention.Ticks / 4, TimeSpan.FromSeconds(5).Ticks, TimeSpan.FromMinutes(5).Ticks));
}
