using Azure.Storage.Blobs;
using Fanout.Core;
using Fanout.Core.Options;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
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
}
