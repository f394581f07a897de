using Fanout.Core.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;

namespace Fanout.Telemetry;

/// <summary>
/// Records 0 on the counters that may never move (<c>fanout.llm.rate_limited</c>, <c>fanout.llm.retries</c> of each
/// kind) once the meter provider listens, so they are exported at 0: a dashboard or alert on them sees "none" rather
/// than "no data".
/// </summary>
internal sealed class ZeroCounters(IServiceProvider services) : IHostedService
{
    /// <summary>Records the zeros (after the meter provider exists: measurements made before it listens are lost).</summary>
    public static void Record()
    {
        FanoutTelemetry.RateLimited.Add(0);
        FanoutTelemetry.Retries.Add(0, new KeyValuePair<string, object?>("fanout.retry.kind", "in_call"));
        FanoutTelemetry.Retries.Add(0, new KeyValuePair<string, object?>("fanout.retry.kind", "durable"));
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetService<MeterProvider>();
        Record();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
