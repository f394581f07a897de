using Fanout.Core;
using Fanout.Core.Estimates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Fanout.Tests.Estimates;

/// <summary><c>Fanout:Pricing</c> and <c>Fanout:Estimate</c> are options that validate: a wrong value stops the start naming its key.</summary>
public sealed class EstimateOptionsTests
{
    [Fact]
    public void Prices_currency_and_the_output_bound_are_read_and_a_half_priced_model_has_no_price()
    {
        var settings = TestEstimateSettings.From(Settings(
            ("Fanout:Pricing:Currency", "EUR"),
            ("Fanout:Pricing:m:InputPerMillion", "0.15"),
            ("Fanout:Pricing:m:OutputPerMillion", "0.6"),
            ("Fanout:Pricing:half:InputPerMillion", "1"),
            ("Fanout:Estimate:DefaultMaxCompletionTokens", "100")));

        Assert.Equal("EUR", settings.Currency);
        Assert.Equal(new ModelPrice(0.15m, 0.6m), settings.PriceOf("m"));
        Assert.Null(settings.PriceOf("half"));
        Assert.Equal(100, settings.MaxCompletionTokensWhenUnset);
    }

    [Theory]
    [InlineData("Fanout:Pricing:m:InputPerMillion", "cheap")]
    [InlineData("Fanout:Pricing:m:OutputPerMillion", "-1")]
    [InlineData("Fanout:Pricing:m:BatchDiscount", "1.5")]
    public void A_price_that_is_not_a_number_in_range_fails_naming_its_key(string key, string value)
    {
        var e = Assert.Throws<OptionsValidationException>(() => Resolve<PricingOptions>(Settings(("Fanout:Pricing:m:InputPerMillion", "1"), ("Fanout:Pricing:m:OutputPerMillion", "2"), (key, value))));

        Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    public void An_output_bound_below_one_fails_naming_its_key(string value)
    {
        var e = Assert.Throws<OptionsValidationException>(() => Resolve<EstimateOptions>(Settings(("Fanout:Estimate:DefaultMaxCompletionTokens", value))));

        Assert.Contains("Fanout:Estimate:DefaultMaxCompletionTokens", e.Message, StringComparison.Ordinal);
    }

    /// <summary>The settings; a key given twice keeps its last value.</summary>
    private static Dictionary<string, string?> Settings(params (string Key, string Value)[] values)
    {
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (key, value) in values)
        {
            settings[key] = value;
        }

        return settings;
    }

    private static T Resolve<T>(Dictionary<string, string?> settings)
        where T : class
    {
        var services = new ServiceCollection().AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddFanoutCore();
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<T>>().Value;
    }
}
