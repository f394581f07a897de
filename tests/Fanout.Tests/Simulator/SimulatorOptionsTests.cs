using System.ComponentModel.DataAnnotations;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Fanout.Tests.Simulator;

public sealed class SimulatorOptionsTests
{
    public static TheoryData<Action<SimulatorOptions>, string> InvalidSettings => new()
    {
        { o => o.FailureRate = 1.5, nameof(SimulatorOptions.FailureRate) },
        { o => o.Http503Rate = -0.1, nameof(SimulatorOptions.Http503Rate) },
        { o => o.HangRate = 2, nameof(SimulatorOptions.HangRate) },
        { o => o.LatencyMs = -1, nameof(SimulatorOptions.LatencyMs) },
        { o => o.RequestsPerMinute = -5, nameof(SimulatorOptions.RequestsPerMinute) },
        { o => o.TokensPerMinute = -5, nameof(SimulatorOptions.TokensPerMinute) },
        { o => o.FailureStatusCode = 400, nameof(SimulatorOptions.FailureStatusCode) },
        { o => (o.FailureRate, o.HangRate) = (0.6, 0.6), "must not exceed 1" },
    };

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public void Options_validation_names_the_bad_setting(Action<SimulatorOptions> breakIt, string named)
    {
        var options = new SimulatorOptions();
        breakIt(options);

        var error = Assert.Throws<ValidationException>(options.EnsureValid);

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_options_are_valid_and_inject_nothing()
    {
        var options = new SimulatorOptions();

        options.EnsureValid();

        Assert.Equal((0, 0.0, 0.0, 0.0, 0, 0L, 500), (options.LatencyMs, options.FailureRate, options.Http503Rate, options.HangRate,
            options.RequestsPerMinute, options.TokensPerMinute, options.FailureStatusCode));
    }

    [Fact]
    public void AddSimulator_binds_the_Fanout_Simulator_section()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Fanout:Simulator:LatencyMs"] = "200",
            ["Fanout:Simulator:FailureRate"] = "0.25",
            ["Fanout:Simulator:TokensPerMinute"] = "30000",
            ["Fanout:Simulator:Seed"] = "7",
        }).Build();
        using var provider = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddSimulator().BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<SimulatorOptions>>().Value;

        Assert.Equal((200, 0.25, 30000L, (int?)7), (options.LatencyMs, options.FailureRate, options.TokensPerMinute, options.Seed));
    }

    [Fact]
    public void AddSimulator_rejects_invalid_configuration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Fanout:Simulator:FailureRate"] = "3",
        }).Build();
        using var provider = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddSimulator().BuildServiceProvider();

        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<SimulatorOptions>>().Value);
    }
}
