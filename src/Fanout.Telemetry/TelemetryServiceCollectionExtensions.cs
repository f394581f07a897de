using Azure.Monitor.OpenTelemetry.Exporter;
using Fanout.Core.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Fanout.Telemetry;

/// <summary>Turns on OpenTelemetry export of Fanout's traces, metrics and logs, only where an exporter is configured.</summary>
public static class TelemetryServiceCollectionExtensions
{
    /// <summary>The standard OTLP endpoint variable.</summary>
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The Application Insights connection string (set by infra on the Functions app).</summary>
    public const string AppInsightsKey = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>
    /// Exports the <c>Fanout</c> spans and metrics (plus logs) to OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set
    /// and to Azure Monitor when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set; with neither, registers nothing,
    /// so nothing listens and the instruments cost next to nothing. Returns the builder (null when off) for the host's
    /// own additions (request instrumentation, the Functions worker's defaults).
    /// </summary>
    public static OpenTelemetryBuilder? AddFanoutOpenTelemetry(this IServiceCollection services, IConfiguration configuration, string serviceName)
    {
        var otlp = !string.IsNullOrWhiteSpace(configuration[OtlpEndpointKey]);
        var appInsights = configuration[AppInsightsKey] is { Length: > 0 } connectionString ? connectionString : null;
        if (!otlp && appInsights is null)
        {
            return null;
        }

        var builder = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : serviceName))
            .WithTracing(t => t.AddSource(FanoutTelemetry.Name))
            .WithMetrics(m => m.AddMeter(FanoutTelemetry.Name));
        services.AddHostedService<ZeroCounters>();
        if (otlp)
        {
            // Endpoint, protocol and headers come from the standard OTEL_EXPORTER_OTLP_* variables.
            builder.WithTracing(t => t.AddOtlpExporter()).WithMetrics(m => m.AddOtlpExporter()).WithLogging(l => l.AddOtlpExporter());
        }

        if (appInsights is not null)
        {
            builder.WithTracing(t => t.AddAzureMonitorTraceExporter(o => o.ConnectionString = appInsights))
                .WithMetrics(m => m.AddAzureMonitorMetricExporter(o => o.ConnectionString = appInsights))
                .WithLogging(l => l.AddAzureMonitorLogExporter(o => o.ConnectionString = appInsights));
        }

        return builder;
    }
}
