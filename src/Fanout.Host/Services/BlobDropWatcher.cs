using System.Collections.Concurrent;
using Azure;
using Azure.Storage.Blobs;
using Fanout.Core.Api;
using Fanout.Core.Options;
using Fanout.Core.Storage;
using Fanout.Host.Extensions;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace Fanout.Host.Services;

/// <summary>
/// The portable host's blob trigger: polls <c>batches-in</c> and starts a batch for each new or changed blob.
/// Idempotent like the Functions trigger: the batch id comes from the blob's name and content hash.
/// </summary>
public sealed partial class BlobDropWatcher(
    BatchStore store,
    BlobServiceClient blobs,
    IOptions<StorageOptions> storage,
    BlobDropStarter blobDrops,
    DurableTaskClient client,
    IOptions<FanoutHostOptions> host,
    TimeProvider time,
    ILogger<BlobDropWatcher> logger) : BackgroundService
{
    // The claims live in the work container, next to the batches' working blobs.
    private readonly BlobContainerClient _claims = blobs.GetBlobContainerClient(storage.Value.WorkContainer);

    private readonly ConcurrentDictionary<string, ETag> _seen = new(StringComparer.Ordinal);

    // Blobs another host claimed: looked at again once that claim may be stale, in case its owner died before starting.
    private readonly ConcurrentDictionary<string, DateTimeOffset> _claimedElsewhere = new(StringComparer.Ordinal);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromMilliseconds(host.Value.BlobPollMilliseconds);
        await store.EnsureContainersAsync().ConfigureAwait(false);
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                await ScanAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogScanFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task ScanAsync(CancellationToken cancellationToken)
    {
        await foreach (var blob in store.ListInputBlobsAsync(cancellationToken).ConfigureAwait(false))
        {
            if ((_seen.TryGetValue(blob.Name, out var etag) && etag == blob.Properties.ETag)
                || (_claimedElsewhere.TryGetValue(blob.Name, out var until) && time.GetUtcNow() < until))
            {
                continue;
            }

            if (!await Scale.BlobDropClaim.TryClaimAsync(_claims, blob, time, cancellationToken).ConfigureAwait(false))
            {
                // Another host watching the same container starts this one; if it died first, its claim goes stale and
                // this host takes it over then (starting is idempotent: a batch already started is found, not started again).
                _claimedElsewhere[blob.Name] = time.GetUtcNow() + Scale.BlobDropClaim.StaleAfter + TimeSpan.FromSeconds(5);
                continue;
            }

            try
            {
                var id = await blobDrops.StartAsync(blob.Name, client, cancellationToken).ConfigureAwait(false);
                _seen[blob.Name] = blob.Properties.ETag ?? default;
                _claimedElsewhere.TryRemove(blob.Name, out _);
                LogStarted(logger, blob.Name, id);
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                // Deleted between listing and reading.
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Blob {BlobName} → batch {BatchId}")]
    private static partial void LogStarted(ILogger logger, string blobName, string batchId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scanning the input container failed; retrying")]
    private static partial void LogScanFailed(ILogger logger, Exception exception);
}
