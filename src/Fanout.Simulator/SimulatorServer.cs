using System.Net;
using Fanout.Simulator.Apis;
using Fanout.Simulator.Options;
using Fanout.Simulator.Stats;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Fanout.Simulator;

/// <summary>
/// The simulator on its own Kestrel listener on 127.0.0.1, in this process: for tests and benchmarks.
/// <code>await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 50 });</code>
/// </summary>
public sealed class SimulatorServer : IAsyncDisposable
{
    private static readonly TimeSpan s_shutdownTimeout = TimeSpan.FromSeconds(5);

    private readonly WebApplication _app;
    private readonly SimulatorEngine _engine;
    private int _disposed;

    private SimulatorServer(WebApplication app, Uri baseUri)
    {
        _app = app;
        _engine = app.Services.GetRequiredService<SimulatorEngine>();
        BaseUri = baseUri;
    }

    /// <summary>The server's root, e.g. <c>http://127.0.0.1:41234/</c>: the endpoint to give an <c>AzureOpenAIClient</c>.</summary>
    public Uri BaseUri { get; }

    /// <summary>The options in use; changes apply to the next request.</summary>
    public SimulatorOptions Options => _engine.Options;

    /// <summary>Live counters.</summary>
    public SimulatorStats Stats => _engine.Stats;

    /// <summary>Starts a server; <paramref name="port"/> 0 picks a free port.</summary>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    public static async Task<SimulatorServer> StartAsync(SimulatorOptions options, int port = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        options.EnsureValid();

        // The empty builder reads no configuration, environment or appsettings: a test gets exactly the options it passed.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(SimulatorServer).Assembly.GetName().Name,
        });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        builder.Services.AddRoutingCore();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = s_shutdownTimeout);
        builder.Services.AddSimulatorCore(_ => options);

        var app = builder.Build();
        app.MapSimulator();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
            return new SimulatorServer(app, new Uri(address.EndsWith('/') ? address : address + "/"));
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Counters per deployment, read now.</summary>
    public IReadOnlyDictionary<string, DeploymentStatsSnapshot> DeploymentStats() => _engine.Deployments.Snapshot();

    /// <summary>Files uploaded to its Batch API so far.</summary>
    public int BatchFileUploads => _engine.Batches.Uploads;

    /// <summary>Batches created on its Batch API so far.</summary>
    public int BatchesCreated => _engine.Batches.Created;

    /// <summary>Takes <paramref name="deployment"/> down until <see cref="StartDeployment"/>: 503s, or dropped connections with <see cref="DeploymentOutage.Refuse"/>.</summary>
    public void StopDeployment(string deployment, DeploymentOutage outage = DeploymentOutage.ServiceUnavailable)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        _engine.SetOutage(deployment, outage);
    }

    /// <summary>Brings <paramref name="deployment"/> back up.</summary>
    public void StartDeployment(string deployment)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        _engine.SetOutage(deployment, DeploymentOutage.None);
    }

    /// <summary>Zeroes the counters, empties the quota windows and restarts the clock of the 429 burst window.</summary>
    public void ResetStats() => _engine.Reset();

    /// <summary>Stops the server; hung requests are dropped.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await _app.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }
}
