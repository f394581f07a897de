using Azure.Data.Tables;
using Azure.Storage.Blobs;

namespace Fanout.IntegrationTests.Retention;

/// <summary>What one batch occupies in storage: its orchestration rows (batch and chunks) and its blobs.</summary>
/// <param name="Rows">Rows of the task hub's Instances and History tables whose partition is the batch or one of its chunks.</param>
/// <param name="RowBytes">The property payload of those rows (strings and binaries, UTF-16 as stored).</param>
/// <param name="WorkBytes">Bytes of the batch's work blobs (prepared chunks, result segments) and large-message blobs.</param>
/// <param name="OutputBytes">Bytes of its output container folder (output.jsonl, errors.jsonl, batch.json).</param>
internal sealed record StorageFootprint(int Rows, long RowBytes, long WorkBytes, long OutputBytes)
{
    /// <summary>Measures <paramref name="batchId"/> on the Azurite of <paramref name="connectionString"/>.</summary>
    public static async Task<StorageFootprint> MeasureAsync(string connectionString, string taskHub, string batchId, string workContainer, string outputContainer)
    {
        var rows = 0;
        long rowBytes = 0;
        var tables = new TableServiceClient(connectionString);
        foreach (var table in new[] { taskHub + "Instances", taskHub + "History" })
        {
            // Partition keys are instance ids: the batch's own and its chunks' ("{id}~c00000"), contiguous in key order.
            var filter = TableClient.CreateQueryFilter($"PartitionKey ge {batchId} and PartitionKey lt {batchId + "\uffff"}");
            await foreach (var entity in tables.GetTableClient(table).QueryAsync<TableEntity>(filter))
            {
                rows++;
                rowBytes += ((IDictionary<string, object>)entity).Values.Sum(v => v switch
                {
                    string s => s.Length * 2L,
                    byte[] b => b.Length,
                    BinaryData d => d.ToMemory().Length,
                    _ => 8L,
                });
            }
        }

        var blobs = new BlobServiceClient(connectionString);
        var work = await SumAsync(blobs.GetBlobContainerClient(workContainer), batchId + "/")
            + await SumAsync(blobs.GetBlobContainerClient(taskHub.ToLowerInvariant() + "-largemessages"), batchId);
        var output = await SumAsync(blobs.GetBlobContainerClient(outputContainer), batchId + "/");
        return new StorageFootprint(rows, rowBytes, work, output);
    }

    /// <summary>Per 1,000 lines of a batch of <paramref name="lines"/>.</summary>
    public string Per1000(int lines)
    {
        var k = lines / 1000.0;
        return $"{Rows / k:F0} rows ({RowBytes / k / 1024:F0} KB of row payload), work blobs {WorkBytes / k / 1024:F0} KB, output {OutputBytes / k / 1024:F0} KB";
    }

    private static async Task<long> SumAsync(BlobContainerClient container, string prefix)
    {
        if (!await container.ExistsAsync())
        {
            return 0;
        }

        long bytes = 0;
        await foreach (var blob in container.GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = prefix }))
        {
            bytes += blob.Properties.ContentLength ?? 0;
        }

        return bytes;
    }
}
