using Fanout.Core;
using Fanout.Core.Llm.Pool;
using Fanout.Core.Options;
using Fanout.Core.Orchestrations;
using Fanout.Core.Retention;
using Fanout.Core.Storage;
using Fanout.Durable;
using Fanout.Host.Security;
using Fanout.Host.Services;
using Fanout.LocalDev;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using Fanout.Telemetry;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;

namespace Fanout.Host.Extensions;

/// <summary>Wires the portable host: embedded defaults, Fanout.Core, the durable backend, the blob watcher.</summary>
public static class HostingExtensions
{
    /// <summary>The default listen address, like <c>func start</c>.</summary>
    public const string DefaultUrls = "http://127.0.0.1:7071";

    /// <summary>
    /// Adds everything the host needs and returns what it started for itself (the caller disposes it if the app
    /// never starts; once started, the app stops it). With no storage connection string it starts Azurite (data under
    /// <c>.fanout/azurite</c>); with no Azure OpenAI endpoint it starts the simulator and says so.
    /// </summary>
    public static async Task<EmbeddedServices> AddFanoutHostAsync(this WebApplicationBuilder builder, TextWriter console, CancellationToken cancellationToken)
    {
        var config = builder.Configuration;
        AccessKeys.EnsureSafeBinding(config, DefaultUrls);
        builder.Services.AddFanoutAccessKeys();
        var embedded = new EmbeddedServices();
        builder.Services.AddSingleton(embedded);
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EmbeddedServices>());

        if (string.IsNullOrEmpty(config["urls"]) && string.IsNullOrEmpty(config["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls(config["Fanout:Host:Urls"] ?? DefaultUrls);
        }

        // BatchSubmitService enforces Fanout:Batch:MaxBytes itself (Content-Length up front, a counting stream for chunked bodies)
        // and answers 413 batch_too_large. Kestrel's own limit stays off so that, after that early 413, Kestrel can drain
        // the rest of the body (bounded by its 5 s drain timeout) and the client reads the answer instead of a broken pipe.
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);

        // gzip, br (and deflate) bodies are decoded as they are read, so those limits count the decoded bytes: a
        // zip bomb meets the same 413 at MaxBytes, in bounded memory. Any other encoding gets 415 (ContentEncodings).
        builder.Services.AddRequestDecompression();
        builder.Services.AddTransient<IStartupFilter, RequestDecompressionStartupFilter>();
        var batch = config.GetSection(BatchOptions.SectionName).Get<BatchOptions>() ?? new BatchOptions();

        try
        {
            if (string.IsNullOrWhiteSpace(config["Fanout:Storage:ConnectionString"]))
            {
                var azuriteSettings = config.GetSection("Fanout:Host:Azurite").Get<AzuriteSettings>() ?? new AzuriteSettings();
                var azurite = await AzuriteLocator.LocateAsync(azuriteSettings.Path, null, cancellationToken).ConfigureAwait(false);
                var dataDirectory = config["Fanout:Host:DataDirectory"] ?? Path.Combine(RepoRoot.FindFromHere() ?? Directory.GetCurrentDirectory(), ".fanout", "azurite");
                embedded.Azurite = await AzuriteProcess.StartAsync(dataDirectory, azurite, null, cancellationToken, azuriteSettings).ConfigureAwait(false);
                config["Fanout:Storage:ConnectionString"] = embedded.Azurite.ConnectionString;
                builder.Services.AddSingleton<IStorageFlush>(new GroupedStorageFlush(new EmbeddedAzuriteFlush(embedded)));
                var how = embedded.Azurite.Adopted ? "adopted the running" : "started";
                await console.WriteLineAsync($"Storage: {how} embedded Azurite (pid {embedded.Azurite.ProcessId}, data in {dataDirectory}).").ConfigureAwait(false);
            }

            if (string.IsNullOrWhiteSpace(config["Fanout:OpenAI:Endpoint"]) && !PoolConfiguration.IsConfigured(config))
            {
                var simulatorOptions = config.GetSection("Fanout:Simulator").Get<SimulatorOptions>() ?? new SimulatorOptions();
                embedded.Simulator = await SimulatorServer.StartAsync(simulatorOptions, 0, cancellationToken).ConfigureAwait(false);
                config["Fanout:OpenAI:Endpoint"] = embedded.Simulator.BaseUri.ToString();
                config["Fanout:OpenAI:ApiKey"] = "simulator";
                config[Fanout.Core.Estimates.EstimateSettings.SimulatorInUseKey] = "true";
                await console.WriteLineAsync($"*** LLM: no Fanout:OpenAI:Endpoint configured, using the built-in SIMULATOR at {embedded.Simulator.BaseUri} (answers are synthetic). ***").ConfigureAwait(false);
            }
        }
        catch
        {
            await embedded.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        builder.Services.AddFanoutCore();
        builder.Services.AddSingleton<HostRequests>();
        var includeInternal = config.GetValue(HostRequests.IncludeInternalKey, false);
        builder.Services.AddFanoutOpenTelemetry(config, "fanout-host")?.WithTracing(t => t.AddAspNetCoreInstrumentation(
            o => o.Filter = context => HostRequests.ShouldRecord(context, includeInternal)));

        // Ctrl+C / SIGTERM is bounded: the worker lets running calls finish within it, the backstop ends the rest.
        var shutdownTimeout = config.GetValue(ShutdownBackstop.Key, ShutdownBackstop.DefaultTimeout);
        if (shutdownTimeout <= TimeSpan.Zero)
        {
            throw new OptionsValidationException(ShutdownBackstop.Key, typeof(HostOptions), [$"{ShutdownBackstop.Key} must be positive, e.g. 00:00:15."]);
        }

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdownTimeout);
        builder.Services.AddHostedService(sp => new ShutdownBackstop(
            sp.GetRequiredService<IHostApplicationLifetime>(), sp.GetRequiredService<ILogger<ShutdownBackstop>>(), shutdownTimeout));

        // Derived defaults: the batches' storage, and room for the largest batch cap.
        var storage = config["Fanout:Storage:ConnectionString"];
        var backend = config["backend"];
        builder.Services.AddFanoutDurableBackend(r => r.AddFanoutTasks())
            .PostConfigure(o =>
            {
                if (backend is { Length: > 0 })
                {
                    o.Backend = Enum.Parse<DurableBackendKind>(backend.Replace("-", string.Empty, StringComparison.Ordinal), ignoreCase: true);
                }

                o.StorageConnectionString ??= storage;
                o.MaxConcurrentActivities ??= Math.Max(200, batch.MaxConcurrencyLimit);
            });
        if (config.GetValue("Fanout:Host:WatchBlobs", true))
        {
            builder.Services.AddHostedService<BlobDropWatcher>();
        }

        builder.Services.AddFanoutRetention();
        builder.Services.AddHostedService<Retention.HistoryRetentionService>();

        builder.Logging.AddFilter("Azure", LogLevel.Warning);
        builder.Logging.AddFilter("DurableTask", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.DurableTask", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        return embedded;
    }
}
