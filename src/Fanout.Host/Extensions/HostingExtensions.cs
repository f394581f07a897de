using Fanout.Core;
using Fanout.Core.Estimates;
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
    public const string DefaultUrls = FanoutHostOptions.DefaultUrls;

    /// <summary>
    /// Adds everything the host needs and returns what it started for itself (the caller disposes it if the app
    /// never starts; once started, the app stops it). With no storage connection string it starts Azurite (data under
    /// <c>.fanout/azurite</c>); with no Azure OpenAI endpoint it starts the simulator and says so. What it started is
    /// handed to the options that need it (<c>PostConfigure</c>), never written into configuration.
    /// </summary>
    /// <param name="builder">The application.</param>
    /// <param name="console">Where the host says what it started.</param>
    /// <param name="cancellationToken">Stops the start of Azurite or the simulator.</param>
    /// <param name="defaultUrls">Listen addresses when none is configured (<c>run</c> takes a free loopback port); null = <see cref="DefaultUrls"/>.</param>
    public static async Task<EmbeddedServices> AddFanoutHostAsync(this WebApplicationBuilder builder, TextWriter console, CancellationToken cancellationToken, string? defaultUrls = null)
    {
        var config = builder.Configuration;
        var host = ReadHostOptions(config);
        builder.Services.AddOptions<FanoutHostOptions>().BindConfiguration(FanoutHostOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        var serverUrls = string.IsNullOrEmpty(config["urls"]) ? config["ASPNETCORE_URLS"] : config["urls"];
        var listen = host.Urls is { Length: > 0 } configured ? configured : defaultUrls ?? DefaultUrls;
        AccessKeys.EnsureSafeBinding(host, string.IsNullOrEmpty(serverUrls) ? listen : serverUrls, config.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>());
        builder.Services.AddFanoutAccessKeys();
        var embedded = new EmbeddedServices();
        builder.Services.AddSingleton(embedded);
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EmbeddedServices>());

        if (string.IsNullOrEmpty(serverUrls))
        {
            builder.WebHost.UseUrls(listen);
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
        var storageConnection = config.GetSection(StorageOptions.SectionName).Get<StorageOptions>()?.ConnectionString;

        try
        {
            if (string.IsNullOrWhiteSpace(storageConnection))
            {
                var azuriteSettings = host.Azurite;
                var azurite = await AzuriteLocator.LocateAsync(azuriteSettings.Path, null, cancellationToken).ConfigureAwait(false);
                var dataDirectory = host.DataDirectory ?? Path.Combine(RepoRoot.FindFromHere() ?? Directory.GetCurrentDirectory(), ".fanout", "azurite");
                embedded.Azurite = await AzuriteProcess.StartAsync(dataDirectory, azurite, null, cancellationToken, azuriteSettings).ConfigureAwait(false);
                var embeddedConnection = storageConnection = embedded.Azurite.ConnectionString;
                builder.Services.PostConfigure<StorageOptions>(o => o.ConnectionString = embeddedConnection);
                builder.Services.AddSingleton<IStorageFlush>(new GroupedStorageFlush(new EmbeddedAzuriteFlush(embedded)));
                var how = embedded.Azurite.Adopted ? "adopted the running" : "started";
                await console.WriteLineAsync($"Storage: {how} embedded Azurite (pid {embedded.Azurite.ProcessId}, data in {dataDirectory}).").ConfigureAwait(false);
            }

            if (string.IsNullOrWhiteSpace(config[$"{OpenAIOptions.SectionName}:{nameof(OpenAIOptions.Endpoint)}"]) && !PoolConfiguration.IsConfigured(config))
            {
                var simulatorOptions = config.GetSection(SimulatorOptions.SectionName).Get<SimulatorOptions>() ?? new SimulatorOptions();
                embedded.Simulator = await SimulatorServer.StartAsync(simulatorOptions, 0, cancellationToken).ConfigureAwait(false);
                var simulatorUri = embedded.Simulator.BaseUri;
                builder.Services.PostConfigure<OpenAIOptions>(o =>
                {
                    o.Endpoint = simulatorUri;
                    o.ApiKey = "simulator";
                });
                if (simulatorOptions.TokensPerMinute > 0)
                {
                    // The estimate's quota when no pool member gives one: the simulator's, per deployment like Azure's.
                    builder.Services.AddSingleton(new SimulatedQuota(simulatorOptions.TokensPerMinute));
                }

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
        builder.Services.AddOptions<HostTelemetryOptions>().BindConfiguration(HostTelemetryOptions.SectionName).ValidateOnStart();
        var includeInternal = (config.GetSection(HostTelemetryOptions.SectionName).Get<HostTelemetryOptions>() ?? new HostTelemetryOptions()).IncludeInternal;
        builder.Services.AddFanoutOpenTelemetry(config, "fanout-host")?.WithTracing(t => t.AddAspNetCoreInstrumentation(
            o => o.Filter = context => HostRequests.ShouldRecord(context, includeInternal)));

        // Ctrl+C / SIGTERM is bounded: the worker lets running calls finish within it, the backstop ends the rest.
        var shutdownTimeout = host.ShutdownTimeout;

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdownTimeout);
        builder.Services.AddHostedService(sp => new ShutdownBackstop(
            sp.GetRequiredService<IHostApplicationLifetime>(), sp.GetRequiredService<ILogger<ShutdownBackstop>>(), shutdownTimeout));

        // Derived defaults: the batches' storage (the embedded Azurite's when it runs), and room for the largest batch cap.
        var backend = config["backend"];
        builder.Services.AddFanoutDurableBackend(r => r.AddFanoutTasks())
            .PostConfigure(o =>
            {
                if (backend is { Length: > 0 })
                {
                    o.Backend = Enum.Parse<DurableBackendKind>(backend.Replace("-", string.Empty, StringComparison.Ordinal), ignoreCase: true);
                }

                o.StorageConnectionString ??= storageConnection;
                o.MaxConcurrentActivities ??= Math.Max(200, batch.MaxConcurrencyLimit);
            });
        if (host.WatchBlobs)
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

    /// <summary>
    /// The host's settings as the composition root needs them before the container exists (listen address, Azurite,
    /// shutdown bound), validated like <c>ValidateOnStart</c> does: a wrong value is one line naming its key (exit code 2).
    /// </summary>
    private static FanoutHostOptions ReadHostOptions(IConfiguration config)
    {
        var host = config.GetSection(FanoutHostOptions.SectionName).Get<FanoutHostOptions>() ?? new FanoutHostOptions();
        var result = new DataAnnotationValidateOptions<FanoutHostOptions>(Microsoft.Extensions.Options.Options.DefaultName).Validate(Microsoft.Extensions.Options.Options.DefaultName, host);
        return result.Failed ? throw new OptionsValidationException(FanoutHostOptions.SectionName, typeof(FanoutHostOptions), result.Failures) : host;
    }
}
