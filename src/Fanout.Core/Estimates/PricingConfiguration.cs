using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Fanout.Core.Estimates;

/// <summary>
/// Reads <c>Fanout:Pricing</c> into <see cref="PricingOptions"/>: a model is priced when both of its prices are set; a
/// value that is not a non-negative number (or a discount above 1) is an error naming its key, not a silent "no price".
/// </summary>
public static class PricingConfiguration
{
    private const string CurrencyKey = "Currency";

    /// <summary>Reads the prices into <paramref name="options"/>, and the problems into its <see cref="PricingOptions.Errors"/>.</summary>
    public static void Read(IConfiguration configuration, PricingOptions options)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        var section = configuration.GetSection(PricingOptions.SectionName);
        if (section[CurrencyKey] is { Length: > 0 } currency)
        {
            options.Currency = currency;
        }

        foreach (var model in section.GetChildren().Where(c => c.Key != CurrencyKey))
        {
            var input = Number(model, "InputPerMillion", decimal.MaxValue, options.Errors);
            var output = Number(model, "OutputPerMillion", decimal.MaxValue, options.Errors);
            var discount = Number(model, "BatchDiscount", 1, options.Errors) ?? ModelPrice.DefaultBatchDiscount;
            if (input is { } i && output is { } o)
            {
                options.Models[model.Key] = new ModelPrice(i, o, discount);
            }
        }
    }

    private static decimal? Number(IConfigurationSection model, string name, decimal max, IList<string> errors)
    {
        var text = model[name];
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var value) && value >= 0 && value <= max)
        {
            return value;
        }

        errors.Add(max == decimal.MaxValue
            ? $"{model.Path}:{name} must be a non-negative number, not '{text}'."
            : $"{model.Path}:{name} must be a number from 0 to {max.ToString(CultureInfo.InvariantCulture)}, not '{text}'.");
        return null;
    }
}
