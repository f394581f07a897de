using System.Diagnostics;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace Fanout.Bench.Storage;

/// <summary>Raw Azurite throughput with a number of concurrent clients, per operation kind.</summary>
/// <param name="Clients">Concurrent clients (loops) per measurement.</param>
/// <param name="DurationSeconds">Length of each measurement.</param>
/// <param name="QueueLifecyclesPerSecond">Messages sent, received and deleted per second.</param>
/// <param name="TableUpsertsPerSecond">Entity upserts (new rows, ~500 B each) per second.</param>
/// <param name="BlobUploadsPerSecond">1 KB block blob uploads per second.</param>
internal sealed record StorageProbeResult(int Clients, double DurationSeconds, double QueueLifecyclesPerSecond, double TableUpsertsPerSecond, double BlobUploadsPerSecond)
{
    /// <summary>CPU seconds other processes used during the probe (noise).</summary>
    public double? OtherCpuSeconds { get; init; }

    /// <summary>CPU seconds Azurite used during the probe.</summary>
    public double? AzuriteCpuSeconds { get; init; }

    /// <summary>Azurite CPU milliseconds per queue message lifecycle (three requests).</summary>
    public double? AzuriteCpuMsPerQueueLifecycle { get; init; }

    /// <summary>Azurite CPU milliseconds per table upsert.</summary>
    public double? AzuriteCpuMsPerTableUpsert { get; init; }

    /// <summary>Azurite CPU milliseconds per 1 KB blob upload.</summary>
    public double? AzuriteCpuMsPerBlobUpload { get; init; }
}

/// <summary>
/// Measures the storage limit of the durable backend against the same Azurite: on Azure Storage each prompt costs at
/// least two queue message lifecycles (the activity's work item, then its completion on a control queue), plus table
/// and blob writes, so half the raw lifecycle rate bounds prompts per second.
/// </summary>
internal static class StorageLimitProbe
{
    public const int DefaultClients = 32;

    private static readonly TimeSpan WarmUpDuration = TimeSpan.FromSeconds(1);

    // About the size of a Durable Task work-item message.
    private static readonly string QueuePayload = new('m', 600);
    private static readonly string TablePayload = new('t', 500);
    private static readonly BinaryData BlobPayload = BinaryData.FromBytes(new byte[1024]);

    public static async Task<StorageProbeResult> RunAsync(string connectionString, int? azuritePid, int clients, TimeSpan duration, CancellationToken cancellationToken)
    {
        using var azurite = azuritePid is { } pid ? Process.GetProcessById(pid) : null;
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var queue = new QueueClient(connectionString, $"benchprobe-{suffix}");
        var table = new TableClient(connectionString, $"benchprobe{suffix}");
        var container = new BlobContainerClient(connectionString, $"benchprobe-{suffix}");
        await queue.CreateAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await table.CreateAsync(cancellationToken).ConfigureAwait(false);
        await container.CreateAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            var queueRate = await MeasureAsync(azurite, clients, duration, async (worker, n, ct) =>
            {
                await queue.SendMessageAsync(QueuePayload, ct).ConfigureAwait(false);

                // With one shared queue a receive may take another client's message; every message is still deleted once.
                var received = (await queue.ReceiveMessageAsync(cancellationToken: ct).ConfigureAwait(false)).Value;
                if (received is null)
                {
                    return false;
                }

                await queue.DeleteMessageAsync(received.MessageId, received.PopReceipt, ct).ConfigureAwait(false);
                return true;
            }, cancellationToken).ConfigureAwait(false);

            var tableRate = await MeasureAsync(azurite, clients, duration, async (worker, n, ct) =>
            {
                var entity = new TableEntity($"p{worker:D2}", n.ToString("D10", System.Globalization.CultureInfo.InvariantCulture)) { ["Payload"] = TablePayload };
                await table.UpsertEntityAsync(entity, TableUpdateMode.Replace, ct).ConfigureAwait(false);
                return true;
            }, cancellationToken).ConfigureAwait(false);

            var blobRate = await MeasureAsync(azurite, clients, duration, async (worker, n, ct) =>
            {
                await container.GetBlobClient($"{worker:D2}/{n:D10}").UploadAsync(BlobPayload, overwrite: true, ct).ConfigureAwait(false);
                return true;
            }, cancellationToken).ConfigureAwait(false);

            return new StorageProbeResult(clients, duration.TotalSeconds, queueRate.Rate, tableRate.Rate, blobRate.Rate)
            {
                AzuriteCpuMsPerQueueLifecycle = queueRate.AzuriteCpuMsPerOperation,
                AzuriteCpuMsPerTableUpsert = tableRate.AzuriteCpuMsPerOperation,
                AzuriteCpuMsPerBlobUpload = blobRate.AzuriteCpuMsPerOperation,
            };
        }
        finally
        {
            await queue.DeleteIfExistsAsync(CancellationToken.None).ConfigureAwait(false);
            await table.DeleteAsync(CancellationToken.None).ConfigureAwait(false);
            await container.DeleteIfExistsAsync(cancellationToken: CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Runs <paramref name="clients"/> loops of <paramref name="operation"/> for <paramref name="duration"/> after a short
    /// warm-up; returns completed operations per second and Azurite's CPU time per operation.
    /// </summary>
    private static async Task<(double Rate, double? AzuriteCpuMsPerOperation)> MeasureAsync(
        Process? azurite, int clients, TimeSpan duration, Func<int, long, CancellationToken, Task<bool>> operation, CancellationToken cancellationToken)
    {
        // Warm-up, one second unmeasured: connections opened, .NET and Azurite's V8 code compiled (a fresh Azurite is
        // markedly slower in its first seconds).
        var warmUp = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async w =>
        {
            for (long n = -1; warmUp.Elapsed < WarmUpDuration; n--)
            {
                await operation(w, n, cancellationToken).ConfigureAwait(false);
            }
        })).ConfigureAwait(false);

        long completed = 0;
        var cpuBefore = AzuriteCpu(azurite);
        var stopwatch = Stopwatch.StartNew();
        var deadline = duration;
        var loops = Enumerable.Range(0, clients).Select(async worker =>
        {
            long n = 0;
            while (stopwatch.Elapsed < deadline)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (await operation(worker, n++, cancellationToken).ConfigureAwait(false))
                {
                    Interlocked.Increment(ref completed);
                }
            }
        });
        await Task.WhenAll(loops).ConfigureAwait(false);
        var elapsed = stopwatch.Elapsed;
        var cpu = AzuriteCpu(azurite) - cpuBefore;
        var done = Interlocked.Read(ref completed);
        return (done / elapsed.TotalSeconds, cpu is { } c && done > 0 ? c.TotalMilliseconds / done : null);
    }

    private static TimeSpan? AzuriteCpu(Process? azurite)
    {
        if (azurite is null)
        {
            return null;
        }

        try
        {
            azurite.Refresh();
            return azurite.TotalProcessorTime;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
