using System.ComponentModel.DataAnnotations;

namespace Fanout.Core.Estimates;

/// <summary>Settings of dry-run estimates (<c>Fanout:Estimate:*</c>).</summary>
public sealed class EstimateOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Fanout:Estimate";

    /// <summary>Output tokens counted for a line that sets neither <c>max_completion_tokens</c> nor <c>max_tokens</c>.</summary>
    [Range(1, 10_000_000, ErrorMessage = "Fanout:Estimate:DefaultMaxCompletionTokens must be between 1 and 10000000.")]
    public int DefaultMaxCompletionTokens { get; set; } = EstimateSettings.DefaultMaxCompletionTokens;
}
