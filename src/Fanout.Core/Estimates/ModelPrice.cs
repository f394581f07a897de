namespace Fanout.Core.Estimates;

/// <summary>Prices of one model, per million tokens; Batch API lines cost them times <paramref name="BatchDiscount"/>.</summary>
public sealed record ModelPrice(decimal InputPerMillion, decimal OutputPerMillion, decimal BatchDiscount = ModelPrice.DefaultBatchDiscount)
{
    /// <summary>The Batch API's price as a share of the live one (<c>Fanout:Pricing:{model}:BatchDiscount</c>, default 0.5).</summary>
    public const decimal DefaultBatchDiscount = 0.5m;
}
