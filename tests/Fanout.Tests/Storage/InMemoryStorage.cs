using Azure.Storage.Blobs;
using Fanout.Core.Options;
using Fanout.Core.Storage;
using Fanout.Tests.Functions.OpenAI;

namespace Fanout.Tests.Storage;

/// <summary>
/// A blob account held in memory (<see cref="InMemoryBlobHandler"/> behind the real Blob client), for unit tests of the
/// storage rules: no storage server, never <c>UseDevelopmentStorage</c>. <see cref="Downloads"/> records each blob read.
/// </summary>
internal sealed class InMemoryStorage
{
    public InMemoryStorage()
    {
        Handler = new InMemoryBlobHandler();
        var recorder = new RecordingHandler(Handler, Downloads);
        Service = new BlobServiceClient(
            new Uri("http://127.0.0.1:1/devstoreaccount1"),
            new BlobClientOptions { Transport = new Azure.Core.Pipeline.HttpClientTransport(new HttpClient(recorder)), Retry = { MaxRetries = 0 } });
        Store = new BatchStore(Service, Microsoft.Extensions.Options.Options.Create(Options));
    }

    /// <summary>The default storage settings (container names).</summary>
    public StorageOptions Options { get; } = new();

    /// <summary>The in-memory Blob REST handler.</summary>
    public InMemoryBlobHandler Handler { get; }

    /// <summary>The account.</summary>
    public BlobServiceClient Service { get; }

    /// <summary>A store over the account.</summary>
    public BatchStore Store { get; }

    /// <summary>The blob names (without container) of every blob GET so far, in order.</summary>
    public List<string> Downloads { get; } = [];

    /// <summary>The work container (prepared chunks, result segments).</summary>
    public BlobContainerClient Work => Service.GetBlobContainerClient(Options.WorkContainer);

    /// <summary>The output container (output.jsonl, errors.jsonl, batch.json).</summary>
    public BlobContainerClient Output => Service.GetBlobContainerClient(Options.OutputContainer);

    /// <summary>Uploads <paramref name="data"/> as blob <paramref name="name"/> of <paramref name="container"/>.</summary>
    public static Task PutAsync(BlobContainerClient container, string name, byte[] data)
        => container.GetBlobClient(name).UploadAsync(BinaryData.FromBytes(data), overwrite: true);

    /// <summary>The bytes of a blob.</summary>
    public static async Task<byte[]> GetAsync(BlobContainerClient container, string name)
        => (await container.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToArray();

    private sealed class RecordingHandler(HttpMessageHandler inner, List<string> downloads) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = Uri.UnescapeDataString(request.RequestUri!.AbsolutePath);
            if (request.Method == HttpMethod.Get && !request.RequestUri.Query.Contains("comp=list", StringComparison.Ordinal))
            {
                lock (downloads)
                {
                    // "/devstoreaccount1/{container}/{blob}" → "{blob}"
                    downloads.Add(string.Join('/', path.Split('/', 4).Skip(3)));
                }
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
