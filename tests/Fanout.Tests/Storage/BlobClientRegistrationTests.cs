using System.Net;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Fanout.Core;
using Fanout.Core.Options;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Fanout.Tests.Storage;

public sealed class BlobClientRegistrationTests
{
    private const string Azurite = "UseDevelopmentStorage=true";

    [Fact]
    public void A_connection_string_gives_the_azure_client_factorys_one_blob_client()
    {
        using var provider = Build(new() { ["Fanout:Storage:ConnectionString"] = Azurite });

        var client = provider.GetRequiredService<BlobServiceClient>();

        Assert.Equal(new Uri("http://127.0.0.1:10000/devstoreaccount1"), client.Uri);
        Assert.True(client.CanGenerateAccountSasUri); // the account key came with the connection string
        Assert.Same(client, provider.GetRequiredService<IAzureClientFactory<BlobServiceClient>>().CreateClient("Default"));
        Assert.Same(client, provider.GetRequiredService<BlobServiceClient>());
    }

    [Fact]
    public void A_blob_service_uri_gives_a_client_of_that_endpoint_with_a_token_credential()
    {
        using var provider = Build(new()
        {
            ["Fanout:Storage:BlobServiceUri"] = "https://fanoutdata.blob.core.windows.net/",
            ["Fanout:Storage:ClientId"] = "00000000-0000-0000-0000-000000000001",
        });

        var client = provider.GetRequiredService<BlobServiceClient>();

        Assert.Equal(new Uri("https://fanoutdata.blob.core.windows.net/"), client.Uri);
        Assert.Equal("fanoutdata", client.AccountName);
        Assert.False(client.CanGenerateAccountSasUri); // no key: a token credential
    }

    [Fact]
    public void A_hosts_post_configure_of_the_storage_settings_reaches_the_client()
    {
        // The Functions app fills Fanout:Storage from AzureWebJobsStorage this way.
        using var provider = Build([], services => services.PostConfigure<StorageOptions>(o => o.ConnectionString ??= Azurite));

        Assert.Equal(new Uri("http://127.0.0.1:10000/devstoreaccount1"), provider.GetRequiredService<BlobServiceClient>().Uri);
    }

    [Fact]
    public void A_blob_client_registered_before_the_core_is_kept()
    {
        var own = new BlobServiceClient(Azurite);

        using var provider = Build(new() { ["Fanout:Storage:ConnectionString"] = Azurite }, services => services.AddSingleton(own), before: true);

        Assert.Same(own, provider.GetRequiredService<BlobServiceClient>());
    }

    [Fact]
    public async Task The_client_retries_five_times_and_the_sdk_logs_only_azure_core_errors_and_other_azure_warnings()
    {
        var handler = new CountingHandler();
        var logs = new CapturingLoggerProvider();
        using var provider = Build(new() { ["Fanout:Storage:ConnectionString"] = Azurite }, services =>
        {
            services.AddLogging(l => l.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
            // Runs after Fanout's defaults: the transport and a short delay only (the retry count stays Fanout's).
            services.AddAzureClients(b => b.ConfigureDefaults(o =>
            {
                o.Transport = new HttpClientTransport(handler);
                o.Retry.Mode = RetryMode.Fixed;
                o.Retry.Delay = TimeSpan.FromMilliseconds(1);
            }));
        });
        var blob = provider.GetRequiredService<BlobServiceClient>().GetBlobContainerClient("c").GetBlobClient("missing");

        var missing = await Assert.ThrowsAsync<RequestFailedException>(() => blob.GetPropertiesAsync());
        handler.Status = HttpStatusCode.ServiceUnavailable;
        await Assert.ThrowsAsync<RequestFailedException>(() => blob.GetPropertiesAsync());

        Assert.Equal(404, missing.Status);
        Assert.Equal(1 + 6, handler.Requests); // the 404 once, the 503 with five retries
        Assert.DoesNotContain(logs.Categories, c => c.StartsWith("Azure", StringComparison.Ordinal)); // 7 requests, 2 failures: nothing logged
        var factory = provider.GetRequiredService<ILoggerFactory>();
        Assert.False(factory.CreateLogger("Azure.Core").IsEnabled(LogLevel.Warning));
        Assert.True(factory.CreateLogger("Azure.Core").IsEnabled(LogLevel.Error));
        Assert.True(factory.CreateLogger("Azure.Identity").IsEnabled(LogLevel.Warning));
        Assert.False(factory.CreateLogger("Azure.Identity").IsEnabled(LogLevel.Information));
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings, Action<IServiceCollection>? configure = null, bool before = false)
    {
        var services = new ServiceCollection().AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        if (before)
        {
            configure?.Invoke(services);
        }

        services.AddFanoutCore();
        if (!before)
        {
            configure?.Invoke(services);
        }

        return services.BuildServiceProvider();
    }

    private sealed class CountingHandler : HttpMessageHandler
    {
        private int _requests;

        public HttpStatusCode Status { get; set; } = HttpStatusCode.NotFound;

        public int Requests => _requests;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _requests);
            var response = new HttpResponseMessage(Status) { Content = new ByteArrayContent([]) };
            response.Headers.Add("x-ms-error-code", Status == HttpStatusCode.NotFound ? "BlobNotFound" : "ServerBusy");
            return Task.FromResult(response);
        }
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Categories { get; } = new();

        public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, Categories);

        public void Dispose()
        {
        }
    }

    private sealed class CapturingLogger(string category, System.Collections.Concurrent.ConcurrentQueue<string> categories) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => categories.Enqueue(category);
    }
}
