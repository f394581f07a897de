using System.Text;
using Azure.Storage.Blobs;
using Fanout.Core.Options;
using Fanout.Core.Storage;
using Fanout.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Options;
using Xunit;

namespace Fanout.IntegrationTests.Batches;

/// <summary>The blob store against Azurite: result segments this process wrote are finalized from memory, and the listing stays the truth.</summary>
public sealed class BatchStoreTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task Finalize_from_segments_held_in_memory_writes_the_same_output_as_a_cold_store()
    {
        var options = FreshContainers();
        var warm = await StoreAsync(options);
        var writer = new ResultSegmentWriter(warm);
        var prepared = await PrepareAsync(warm, "b1", 30);

        // Lines written one by one and in groups, out of order; line 7 never runs.
        var writes = Enumerable.Range(0, 30).Where(i => i != 7).Reverse()
            .Select(i => writer.WriteAsync("b1", i, 10, Encoding.UTF8.GetBytes($"{{\"line\":{i}}}\n"), CancellationToken.None));
        await Task.WhenAll(writes);
        Assert.True(warm.SegmentsInMemory("b1") > 0);

        await warm.FinalizeAsync("b1", prepared, "batch_cancelled", "never ran", "{}"u8.ToArray(), CancellationToken.None);
        var fromMemory = await ReadOutputAsync(warm);
        Assert.Equal(0, warm.SegmentsInMemory("b1"));

        var cold = await StoreAsync(options);
        await cold.FinalizeAsync("b1", prepared, "batch_cancelled", "never ran", "{}"u8.ToArray(), CancellationToken.None);
        var fromStorage = await ReadOutputAsync(cold);

        Assert.Equal(fromStorage, fromMemory);
        var lines = fromMemory.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(30, lines.Length);
        Assert.Equal("{\"line\":0}", lines[0]);
        Assert.Contains("batch_cancelled", lines[7], StringComparison.Ordinal);
        Assert.Equal("{\"line\":29}", lines[29]);
    }

    [Fact]
    public async Task A_segment_held_in_memory_but_gone_from_storage_is_not_used()
    {
        var options = FreshContainers();
        var store = await StoreAsync(options);
        var prepared = await PrepareAsync(store, "b2", 3);
        var writer = new ResultSegmentWriter(store);
        await writer.WriteAsync("b2", 0, 10, "{\"line\":0}\n"u8.ToArray(), CancellationToken.None);

        // Someone removed the results (here: by hand); the store must believe the listing, not its memory.
        var work = WorkContainer(options);
        await foreach (var blob in work.GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = "b2/results/" }))
        {
            await work.DeleteBlobAsync(blob.Name);
        }

        await store.FinalizeAsync("b2", prepared, "internal_error", "lost", "{}"u8.ToArray(), CancellationToken.None);

        var lines = (await ReadOutputAsync(store, "b2")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, l => Assert.Contains("internal_error", l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_line_that_ran_twice_keeps_its_answer_over_a_failed_copy()
    {
        var options = FreshContainers();
        var store = await StoreAsync(options);
        var prepared = await PrepareAsync(store, "b3", 2);
        var failed = OutputLines.Error("b3", 1, "p-1", "timeout", "The call timed out after all retries.");
        var answered = "{\"id\":\"b3-1\",\"custom_id\":\"p-1\",\"response\":{\"status_code\":200},\"error\":null}\n"u8.ToArray();

        // The failed re-run's segment sorts first (segment names are otherwise random), the answer's after it.
        var work = WorkContainer(options);
        await work.UploadBlobAsync("b3/results/000000/00000000000000000000000000000000.seg", BinaryData.FromBytes(ResultSegmentWriter.Encode([(1, failed)])));
        await work.UploadBlobAsync("b3/results/000000/ffffffffffffffffffffffffffffffff.seg", BinaryData.FromBytes(ResultSegmentWriter.Encode([(1, answered), (0, "{\"line\":0,\"error\":null}\n"u8.ToArray())])));

        await store.FinalizeAsync("b3", prepared, "internal_error", "lost", "{}"u8.ToArray(), CancellationToken.None);

        var lines = (await ReadOutputAsync(store, "b3")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal(Encoding.UTF8.GetString(answered).TrimEnd('\n'), lines[1]);
        Assert.Empty(await ReadOutputAsync(store, "b3", BatchBlobLayout.ErrorsFile));
    }

    [Fact]
    public async Task The_result_check_finds_lines_without_a_result_and_counts_the_stored_ones_from_storage()
    {
        var options = FreshContainers();
        var writerStore = await StoreAsync(options);
        var prepared = await PrepareAsync(writerStore, "b4", 25);
        var writer = new ResultSegmentWriter(writerStore);
        static byte[] Answer(int i) => OutputLines.Success("b4", i, $"p-{i}", "req", 200,
            Encoding.UTF8.GetBytes($"{{\"choices\":[],\"usage\":{{\"prompt_tokens\":{i},\"completion_tokens\":2}}}}"));

        // Lines 4 and 21 never stored a result; line 9 failed; line 6 failed once and was answered on a re-run.
        await Task.WhenAll(Enumerable.Range(0, 25).Where(i => i is not (4 or 21)).Select(i => writer.WriteAsync(
            "b4", i, 10, i == 9 ? OutputLines.Error("b4", i, "p-9", "content_filter", "filtered") : Answer(i), CancellationToken.None)));
        await writer.WriteAsync("b4", 6, 10, OutputLines.Error("b4", 6, "p-6", "timeout", "timed out"), CancellationToken.None);

        // A cold store (another process) sees only what storage holds; it keeps what it read for the finalize.
        var cold = await StoreAsync(options);
        var check = await cold.CheckResultsAsync("b4", prepared, CancellationToken.None);

        Assert.Equal([4, 21], check.Missing);
        Assert.Equal(22, check.Stored.Completed);
        Assert.Equal(1, check.Stored.Failed);
        Assert.Equal(Enumerable.Range(0, 25).Where(i => i is not (4 or 21 or 9)).Sum(), check.Stored.PromptTokens);
        Assert.Equal(2 * 22, check.Stored.CompletionTokens);
        Assert.True(cold.SegmentsInMemory("b4") > 0);
    }

    private static IOptions<StorageOptions> FreshContainers() => Options.Create(new StorageOptions
    {
        InputContainer = AzuriteFixture.UniqueContainerName("in"),
        OutputContainer = AzuriteFixture.UniqueContainerName("out"),
        WorkContainer = AzuriteFixture.UniqueContainerName("work"),
    });

    private async Task<BatchStore> StoreAsync(IOptions<StorageOptions> options)
    {
        var store = new BatchStore(new BlobServiceClient(azurite.ConnectionString), options);
        await store.EnsureContainersAsync();
        return store;
    }

    /// <summary>Prepares a batch of <paramref name="lines"/> test prompts in chunks of 10.</summary>
    private static Task<Fanout.Core.Models.PreparedBatch> PrepareAsync(BatchStore store, string batchId, int lines) =>
        new BatchPreparer(store, Options.Create(new BatchOptions())).PrepareAsync(batchId, new MemoryStream(FanoutTestApp.Jsonl(lines)), chunkSize: 10, CancellationToken.None);

    private static async Task<string> ReadOutputAsync(BatchStore store, string batchId = "b1", string fileName = BatchBlobLayout.OutputFile)
    {
        await using var stream = await store.OpenOutputAsync(batchId, fileName, CancellationToken.None)
            ?? throw new InvalidOperationException($"{batchId}/{fileName} is missing.");
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }

    /// <summary>The store's work container, reached directly: the tests plant and remove result segments by hand.</summary>
    private BlobContainerClient WorkContainer(IOptions<StorageOptions> options)
        => new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(options.Value.WorkContainer);
}
