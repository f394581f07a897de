using Fanout.Core;
using Fanout.Core.Llm;
using Fanout.Core.Llm.Pool;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Fanout.Tests.Llm.Pool;

/// <summary><c>Fanout:OpenAI:Pool</c>: read per member, and every mistake stops the start with a message naming its key.</summary>
public sealed class PoolConfigurationTests
{
    [Fact]
    public void Members_are_read_with_their_keys_defaults_and_hints()
    {
        var pool = Read(new()
        {
            ["Fanout:OpenAI:Pool:0:Endpoint"] = "https://east.openai.azure.com/",
            ["Fanout:OpenAI:Pool:0:Deployment"] = "gpt4o-east",
            ["Fanout:OpenAI:Pool:0:Model"] = "gpt-4o",
            ["Fanout:OpenAI:Pool:0:Weight"] = "2",
            ["Fanout:OpenAI:Pool:0:TokensPerMinute"] = "1000000",
            ["Fanout:OpenAI:Pool:1:Endpoint"] = "https://west.openai.azure.com/",
            ["Fanout:OpenAI:Pool:1:Deployment"] = "gpt4o-west",
            ["Fanout:OpenAI:Pool:1:ApiKey"] = "k",
        });

        Assert.Empty(pool.Errors);
        var east = pool.Members[0];
        Assert.Equal(("Fanout:OpenAI:Pool:0", "gpt4o-east", "gpt-4o", 2.0, 1_000_000L, (string?)null), (east.Key, east.Name, east.Model, east.Weight, east.TokensPerMinute!.Value, east.ApiKey));
        var west = pool.Members[1];
        Assert.Equal(("gpt4o-west", 1.0, (long?)null, "k"), (west.Model, west.Weight, west.TokensPerMinute, west.ApiKey));
    }

    [Fact]
    public void Members_sharing_a_deployment_name_are_reported_under_name_and_host()
    {
        var pool = Read(new()
        {
            ["Fanout:OpenAI:Pool:0:Endpoint"] = "https://east.openai.azure.com/",
            ["Fanout:OpenAI:Pool:0:Deployment"] = "gpt-4o",
            ["Fanout:OpenAI:Pool:1:Endpoint"] = "https://west.openai.azure.com/",
            ["Fanout:OpenAI:Pool:1:Deployment"] = "gpt-4o",
        });

        Assert.Equal(["gpt-4o@east.openai.azure.com", "gpt-4o@west.openai.azure.com"], pool.Members.Select(m => m.Name));
    }

    [Theory]
    [InlineData("empty pool", "Fanout:OpenAI:Pool", "", null, null, "Fanout:OpenAI:Pool is set but has no members")]
    [InlineData("no endpoint", "Fanout:OpenAI:Pool:0:Deployment", "d", null, null, "Fanout:OpenAI:Pool:0:Endpoint must be set")]
    [InlineData("bad endpoint", "Fanout:OpenAI:Pool:0:Endpoint", "not a uri", "Fanout:OpenAI:Pool:0:Deployment", "d", "Fanout:OpenAI:Pool:0:Endpoint must be an absolute")]
    [InlineData("no deployment", "Fanout:OpenAI:Pool:3:Endpoint", "https://a/", null, null, "Fanout:OpenAI:Pool:3:Deployment must be set")]
    [InlineData("bad weight", "Fanout:OpenAI:Pool:0:Weight", "heavy", "Fanout:OpenAI:Pool:0:Endpoint", "https://a/", "Fanout:OpenAI:Pool:0:Weight must be a number")]
    [InlineData("zero weight", "Fanout:OpenAI:Pool:0:Weight", "0", "Fanout:OpenAI:Pool:0:Endpoint", "https://a/", "Fanout:OpenAI:Pool:0:Weight must be a number")]
    [InlineData("bad quota", "Fanout:OpenAI:Pool:0:TokensPerMinute", "-5", "Fanout:OpenAI:Pool:0:Endpoint", "https://a/", "Fanout:OpenAI:Pool:0:TokensPerMinute")]
    public void A_mistake_stops_the_start_with_a_message_naming_its_key(string what, string key, string value, string? key2, string? value2, string expected)
    {
        var settings = new Dictionary<string, string?> { [key] = value };
        if (key2 is not null)
        {
            settings[key2] = value2;
        }

        if (!settings.Keys.Any(k => k.EndsWith(":Deployment", StringComparison.Ordinal)) && what != "empty pool" && what != "no deployment")
        {
            settings["Fanout:OpenAI:Pool:0:Deployment"] = "d";
        }

        var error = Assert.Throws<OptionsValidationException>(() => Start(settings));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_duplicate_member_is_named_with_the_member_it_repeats()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Start(new()
        {
            ["Fanout:OpenAI:Pool:0:Endpoint"] = "https://east.openai.azure.com/",
            ["Fanout:OpenAI:Pool:0:Deployment"] = "gpt-4o",
            ["Fanout:OpenAI:Pool:1:Endpoint"] = "https://EAST.openai.azure.com",
            ["Fanout:OpenAI:Pool:1:Deployment"] = "GPT-4o",
        }));

        Assert.Contains("Fanout:OpenAI:Pool:1 duplicates Fanout:OpenAI:Pool:0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pool_replaces_the_single_endpoint_which_may_then_be_left_out()
    {
        using var services = Start(new()
        {
            ["Fanout:OpenAI:Pool:0:Endpoint"] = "https://east.openai.azure.com/",
            ["Fanout:OpenAI:Pool:0:Deployment"] = "gpt-4o-mini",
            ["Fanout:OpenAI:Pool:0:ApiKey"] = "k",
        });

        Assert.IsType<PooledChatInvoker>(services.GetRequiredService<IChatCompletionInvoker>());
        Assert.NotNull(((PooledChatInvoker)services.GetRequiredService<IChatCompletionInvoker>()).RouterOf("gpt-4o-mini"));
    }

    [Fact]
    public void Without_a_pool_the_single_endpoint_is_still_required()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Start(new() { ["Fanout:OpenAI:Deployment"] = "x" }, endpoint: false));

        Assert.Contains("Fanout:OpenAI:Endpoint", error.Message, StringComparison.Ordinal);
    }

    private static PoolOptions Read(Dictionary<string, string?> settings)
    {
        var options = new PoolOptions();
        PoolConfiguration.Read(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), options);
        return options;
    }

    /// <summary>What a host does at start: bind and validate the options (ValidateOnStart runs these same validators).</summary>
    private static ServiceProvider Start(Dictionary<string, string?> settings, bool endpoint = false)
    {
        settings["Fanout:Storage:ConnectionString"] = "UseDevelopmentStorage=true";
        if (endpoint)
        {
            settings["Fanout:OpenAI:Endpoint"] = "http://127.0.0.1:9/";
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging().AddFanoutCore().BuildServiceProvider();
        try
        {
            _ = services.GetRequiredService<IOptions<PoolOptions>>().Value;
            _ = services.GetRequiredService<IOptions<Core.Options.OpenAIOptions>>().Value;
            return services;
        }
        catch
        {
            services.Dispose();
            throw;
        }
    }
}
