using Fanout.Core;
using Fanout.Core.Options;
using Fanout.Core.Retention;
using Fanout.Telemetry;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddFanoutCore();
builder.Services.AddFanoutRetention();
builder.Services.AddFanoutOpenTelemetry(builder.Configuration, "fanout-functions")?.UseFunctionsWorkerDefaults();

// In Azure the app reaches storage with its managed identity through the same settings as the Functions host.
builder.Services.PostConfigure<StorageOptions>(o =>
{
    if (!string.IsNullOrWhiteSpace(o.ConnectionString) || o.BlobServiceUri is not null)
    {
        return;
    }

    var config = builder.Configuration;
    if (config["AzureWebJobsStorage"] is { Length: > 0 } connectionString)
    {
        o.ConnectionString = connectionString;
    }
    else if (config["AzureWebJobsStorage:blobServiceUri"] is { Length: > 0 } blobUri)
    {
        o.BlobServiceUri = new Uri(blobUri);
        o.ClientId ??= config["AzureWebJobsStorage:clientId"];
    }
});

builder.Build().Run();
