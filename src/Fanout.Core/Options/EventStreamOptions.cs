using System.ComponentModel.DataAnnotations;

namespace Fanout.Core.Options;

/// <summary>How many event streams (<c>GET /api/batches/{id}/events</c>) may be open at once (<c>Fanout:Host:MaxEventStreams</c>).</summary>
public sealed class EventStreamOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Fanout:Host";

    /// <summary>Open event streams per key and per host; beyond it a new stream gets 429 with <c>Retry-After</c>.</summary>
    [Range(1, 1_000_000, ErrorMessage = "Fanout:Host:MaxEventStreams must be between 1 and 1000000.")]
    public int MaxEventStreams { get; set; } = 200;
}
