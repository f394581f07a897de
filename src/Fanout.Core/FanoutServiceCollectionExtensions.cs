using Azure.Identity;
using Azure.Storage.Blobs;
using Fanout.Core.Activities;
using Fanout.Core.Api;
using Fanout.Core.Cache;
using Fanout.Core.Llm;
using Fanout.Core.Llm.Pool;
using Fanout.Core.OpenAICompat;
using Fanout.Core.Options;
using Fanout.Core.Storage;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fanout.Core;

/// <summary>Registers Fanout's host-agnostic services.</summary>
public static class FanoutServiceCollectionExtensions
{
    /// <summary>
    /// Options (validated at start-up with messages naming the setting), the blob store, the Azure OpenAI invoker,
    /// the activities' services and the HTTP API handlers.
    /// </summary>
    public static IServiceCollection AddFanoutCore(this IServiceCollection services)
    {
        services.AddOptions<OpenAIOptions>().BindConfiguration(OpenAIOptions.SectionName).ValidateDataAnnotations()
            .Validate<IConfiguration>(
                (o, config) => o.Endpoint is { IsAbsoluteUri: true } || (o.Endpoint is null && PoolConfiguration.IsConfigured(config)),
                "Fanout:OpenAI:Endpoint must be set to an absolute URI: the Azure OpenAI endpoint, e.g. https://my-aoai.openai.azure.com/ (the portable host starts its simulator when it is absent), or Fanout:OpenAI:Pool must list the deployments.")
            .ValidateOnStart();
        services.AddOptions<PoolOptions>().Configure<IConfiguration>((o, config) => PoolConfiguration.Read(config, o)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PoolOptions>, PoolOptionsValidator>());
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => !string.IsNullOrWhiteSpace(o.ConnectionString) || o.BlobServiceUri is { IsAbsoluteUri: true },
                "Fanout:Storage:ConnectionString or Fanout:Storage:BlobServiceUri (an absolute URI) is required.")
            .ValidateOnStart();
        services.AddOptions<BatchOptions>().BindConfiguration(BatchOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => o.DefaultMaxConcurrency <= o.MaxConcurrencyLimit, "Fanout:Batch:DefaultMaxConcurrency must not exceed Fanout:Batch:MaxConcurrencyLimit.")
            .ValidateOnStart();

        services.AddOptions<CostOptions>().BindConfiguration(CostOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SubmitOptions>().BindConfiguration(SubmitOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EventStreamOptions>().BindConfiguration(EventStreamOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<Webhooks.WebhookOptions>().Configure<IConfiguration>((o, config) => Webhooks.WebhookConfiguration.Read(config, o)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<Webhooks.WebhookOptions>, Webhooks.WebhookOptionsValidator>());
        services.AddOptions<Estimates.EstimateOptions>().BindConfiguration(Estimates.EstimateOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<Estimates.PricingOptions>().Configure<IConfiguration>((o, config) => Estimates.PricingConfiguration.Read(config, o)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<Estimates.PricingOptions>, Estimates.PricingOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        services.AddFanoutAzureClients();
        services.TryAddSingleton<BatchStore>();
        services.TryAddSingleton<BatchPreparer>();
        services.TryAddSingleton<ResultSegmentWriter>();
        services.TryAddSingleton<Attempts.AttemptLedger>();
        services.TryAddSingleton<AzureOpenAIClientFactory>();
        services.TryAddSingleton<IChatCompletionInvoker>(sp => new PooledChatInvoker(
            sp.GetRequiredService<IOptions<OpenAIOptions>>(), sp.GetRequiredService<IOptions<PoolOptions>>(), sp.GetRequiredService<AzureOpenAIClientFactory>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<BatchCallGate>();
        services.TryAddSingleton<StructuredOutputs.AnswerChecker>();
        services.AddFanoutCache();
        services.TryAddSingleton<PromptExecutor>();
        services.TryAddSingleton<BatchActivities>();
        services.TryAddSingleton<Upstream.UpstreamService>();
        services.TryAddSingleton<Webhooks.BatchWebhooks>();
        services.TryAddSingleton<IStorageFlush, DurableOnWriteStorage>();
        services.TryAddSingleton<SubmitRules>();
        services.TryAddSingleton<SubmitAdmission>();
        services.TryAddSingleton<BatchStarter>();
        services.TryAddSingleton<BatchService>();
        services.TryAddSingleton<BatchSubmitService>();
        services.TryAddSingleton<BlobDropStarter>();
        services.AddOpenAICompat();
        services.TryAddSingleton<Estimates.EstimateSettings>();
        services.TryAddSingleton<Estimates.BatchEstimator>();
        services.TryAddSingleton<Retries.BatchRetryService>();
        services.TryAddSingleton<Watching.BatchWatchHub>();
        services.TryAddSingleton<Watching.EventStreamLimiter>();
        services.TryAddSingleton<Watching.BatchWatchService>();
        return services;
    }

    /// <summary>
    /// The Azure SDK clients through <c>Microsoft.Extensions.Azure</c>: the <see cref="BlobServiceClient"/> from
    /// <c>Fanout:Storage</c> (a connection string, or the blob endpoint with <c>DefaultAzureCredential</c> and the
    /// storage identity's client id), read when the client is first resolved, so a host's <c>PostConfigure</c> (the
    /// Functions app's <c>AzureWebJobsStorage</c> fallback) applies.
    /// </summary>
    private static void AddFanoutAzureClients(this IServiceCollection services)
    {
        // Creating the client starts the library's forwarding of every Azure SDK event to ILogger (categories Azure.*).
        // Fanout's storage clients and the task hub's raise no per-request events (Diagnostics.IsLoggingEnabled is off on
        // each), so it costs nothing per request: same-run bench n1000-c50-l500 on Azure Storage, host CPU 12.3-14.9 s
        // before Microsoft.Extensions.Azure and 12.6-15.4 s after, three pairs. Azure.Core logs each 4xx at Warning,
        // expected ones included (a missing blob read is a 404), so it is kept to errors; the rest (Azure.Identity's
        // credential failures) to warnings.
        services.AddLogging(logging => logging.AddFilter("Azure", LogLevel.Warning).AddFilter("Azure.Core", LogLevel.Error));
        services.AddAzureClients(clients =>
        {
            clients.ConfigureDefaults(o =>
            {
                o.Retry.MaxRetries = 5;
                o.Retry.NetworkTimeout = TimeSpan.FromSeconds(100);
                AzureSdkDiagnostics.Quiet(o);
            });
            clients.AddClient<BlobServiceClient, BlobClientOptions>((clientOptions, credential, sp) =>
                    Storage(sp).ConnectionString is { Length: > 0 } connectionString
                        ? new BlobServiceClient(connectionString, clientOptions)
                        : new BlobServiceClient(Storage(sp).BlobServiceUri!, credential, clientOptions))
                .WithCredential(sp => new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = Storage(sp).ClientId }));
        });
    }

    private static StorageOptions Storage(IServiceProvider services) => services.GetRequiredService<IOptions<StorageOptions>>().Value;
}
