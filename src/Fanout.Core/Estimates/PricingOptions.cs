namespace Fanout.Core.Estimates;

/// <summary>
/// Prices per model (<c>Fanout:Pricing:{model}:InputPerMillion</c>, <c>:OutputPerMillion</c>, <c>:BatchDiscount</c>) and
/// their currency (<c>Fanout:Pricing:Currency</c>), read by <see cref="PricingConfiguration"/>: a model's name sits next
/// to <c>Currency</c> in one section, which the binder cannot tell apart.
/// </summary>
public sealed class PricingOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Fanout:Pricing";

    /// <summary>The currency of the prices (default USD).</summary>
    public string Currency { get; set; } = "USD";

    /// <summary>The models with both prices set, by name.</summary>
    public IDictionary<string, ModelPrice> Models { get; } = new SortedDictionary<string, ModelPrice>(StringComparer.Ordinal);

    /// <summary>What could not be read, each naming its key; the start fails with them (<see cref="PricingOptionsValidator"/>).</summary>
    public IList<string> Errors { get; } = new List<string>();
}
