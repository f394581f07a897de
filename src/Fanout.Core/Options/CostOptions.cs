using System.ComponentModel.DataAnnotations;

namespace Fanout.Core.Options;

/// <summary>How a batch with a deadline spends (<c>Fanout:Cost</c>): the Batch API first, live when time runs short.</summary>
public sealed class CostOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Fanout:Cost";

    /// <summary>The share added to the time the unfinished lines need live before the upstream batch is pulled back (0.10 = 10 %).</summary>
    [Range(0.0, 10.0, ErrorMessage = "Fanout:Cost:DeadlineMargin must be between 0 and 10 (a share: 0.10 = 10 %).")]
    public double DeadlineMargin { get; set; } = Planning.DeadlinePlanner.DefaultMargin;

    /// <summary>Seconds between two looks at a batch's upstream (Batch API) batches.</summary>
    [Range(1, 3600, ErrorMessage = "Fanout:Cost:UpstreamPollSeconds must be between 1 and 3600.")]
    public int UpstreamPollSeconds { get; set; } = 30;
}
