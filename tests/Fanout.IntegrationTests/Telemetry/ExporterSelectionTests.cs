using Fanout.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Xunit;

namespace Fanout.IntegrationTests.Telemetry;

/// <summary>Which exporters the hosts turn on: none by default, OTLP and Azure Monitor when configured.</summary>
public sealed class ExporterSelectionTests
{
    [Fact]
    public void Nothing_is_exported_by_default()
    {
        var services = new ServiceCollection();

        var builder = services.AddFanoutOpenTelemetry(Config(), "test");

        Assert.Null(builder);
        using var provider = services.BuildServiceProvider();
        Assert.Null(provider.GetService<TracerProvider>());
        Assert.Null(provider.GetService<MeterProvider>());
    }

    [Theory]
    [InlineData(TelemetryServiceCollectionExtensions.OtlpEndpointKey, "http://127.0.0.1:4317")]
    [InlineData(TelemetryServiceCollectionExtensions.AppInsightsKey, "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/")]
    public void An_exporter_setting_turns_on_traces_and_metrics(string key, string value)
    {
        var services = new ServiceCollection();
        services.AddLogging();

        var builder = services.AddFanoutOpenTelemetry(Config((key, value)), "test");

        Assert.NotNull(builder);
        using var provider = services.BuildServiceProvider();
        Assert.NotNull(provider.GetService<TracerProvider>());
        Assert.NotNull(provider.GetService<MeterProvider>());
    }

    private static IConfiguration Config(params (string Key, string Value)[] values)
        => new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();
}
