using Azure.Storage.Blobs;
using Fanout.Core.Options;
using Microsoft.Extensions.Options;

namespace Fanout.Core.OpenAICompat;

/// <summary>
/// The container of the OpenAI-compatible surface (<see cref="StorageOptions.FilesContainer"/>), created on first use.
/// Layout: <c>{file id}</c> is an uploaded file (<see cref="OpenAIFileStore"/>); <c>_batches/{batch id}</c> and
/// <c>_uses/{file id}/{batch id}</c> record the batches made here (<see cref="OpenAIBatchRecords"/>);
/// <c>_deleted/{file id}</c> marks a deleted batch output or error file (<see cref="OpenAIBatchOutputFiles"/>).
/// </summary>
public sealed class OpenAIFilesContainer
{
    private readonly Lazy<Task> _created;

    /// <summary>Names the container in the account of the batches' store.</summary>
    public OpenAIFilesContainer(BlobServiceClient service, IOptions<StorageOptions> options)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(options);
        Client = service.GetBlobContainerClient(options.Value.FilesContainer);
        _created = new Lazy<Task>(() => Client.CreateIfNotExistsAsync());
    }

    /// <summary>The container.</summary>
    public BlobContainerClient Client { get; }

    /// <summary>The container's name (the source container of batches made from its files).</summary>
    public string Name => Client.Name;

    /// <summary>Completes once the container exists.</summary>
    public Task EnsureCreatedAsync() => _created.Value;
}
