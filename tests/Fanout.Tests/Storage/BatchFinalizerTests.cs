using System.Text;
using System.Text.Json;
using Fanout.Core.Models;
using Fanout.Core.Options;
using Fanout.Core.Storage;
using Xunit;

namespace Fanout.Tests.Storage;

/// <summary>
/// The finalizer writes every line once, in input order, into output.jsonl (errors also into errors.jsonl): a stored
/// result as stored (an answer over an error of the same line), a line that never ran as the given error, then batch.json.
/// </summary>
public sealed class BatchFinalizerTests
{
    private const string BatchId = "batch_fin";

    [Fact]
    public async Task Every_line_is_written_once_in_input_order_with_errors_also_in_errors_jsonl()
    {
        var storage = new InMemoryStorage();
        var prepared = await PrepareAsync(storage, lines: 5); // chunks [0,1] [2,3] [4]
        await WriteSegmentAsync(storage, 0, (1, Error(1)), (0, Answer(0)));
        await WriteSegmentAsync(storage, 0, (1, Answer(1, "retried")));
        await WriteSegmentAsync(storage, 1, (3, Error(3, "http_400")));
        await WriteSegmentAsync(storage, 2, (4, Answer(4)));

        await Finalizer(storage).FinalizeAsync(BatchId, prepared, OutputLines.BatchCancelled, "never sent", "{\"id\":\"batch_fin\"}"u8.ToArray(), CancellationToken.None);

        var output = await ReadLinesAsync(storage, BatchBlobLayout.OutputFile);
        Assert.Equal(["q-0", "q-1", "q-2", "q-3", "q-4"], output.Select(l => l.GetProperty("custom_id").GetString()));
        Assert.Equal("retried", output[1].GetProperty("response").GetProperty("body").GetProperty("text").GetString());
        Assert.Equal(OutputLines.BatchCancelled, ErrorCode(output[2]));
        Assert.Equal("never sent", output[2].GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("http_400", ErrorCode(output[3]));
        Assert.Equal(JsonValueKind.Null, output[4].GetProperty("error").ValueKind);

        var errors = await ReadLinesAsync(storage, BatchBlobLayout.ErrorsFile);
        Assert.Equal(["q-2", "q-3"], errors.Select(l => l.GetProperty("custom_id").GetString()));
        Assert.Equal("{\"id\":\"batch_fin\"}", Encoding.UTF8.GetString(await InMemoryStorage.GetAsync(storage.Output, BatchBlobLayout.OutputBlob(BatchId, BatchBlobLayout.BatchFile))));
    }

    [Fact]
    public async Task A_batch_where_no_line_ran_is_all_missing_errors_with_the_prepared_custom_ids()
    {
        var storage = new InMemoryStorage();
        var prepared = await PrepareAsync(storage, lines: 3);

        await Finalizer(storage).FinalizeAsync(BatchId, prepared, OutputLines.BudgetExceeded, "budget used up", "{}"u8.ToArray(), CancellationToken.None);

        var output = await ReadLinesAsync(storage, BatchBlobLayout.OutputFile);
        var errors = await ReadLinesAsync(storage, BatchBlobLayout.ErrorsFile);
        Assert.Equal(["q-0", "q-1", "q-2"], output.Select(l => l.GetProperty("custom_id").GetString()));
        Assert.All(output, l => Assert.Equal(OutputLines.BudgetExceeded, ErrorCode(l)));
        Assert.Equal(3, errors.Count);
    }

    [Fact]
    public async Task Finalizing_again_after_a_crash_writes_the_same_bytes()
    {
        var storage = new InMemoryStorage();
        var prepared = await PrepareAsync(storage, lines: 4);
        await WriteSegmentAsync(storage, 0, (0, Answer(0)), (1, Error(1)));
        await WriteSegmentAsync(storage, 1, (3, Answer(3)));

        await Finalizer(storage).FinalizeAsync(BatchId, prepared, OutputLines.InternalError, "lost", "{}"u8.ToArray(), CancellationToken.None);
        var first = await InMemoryStorage.GetAsync(storage.Output, BatchBlobLayout.OutputBlob(BatchId, BatchBlobLayout.OutputFile));
        var firstErrors = await InMemoryStorage.GetAsync(storage.Output, BatchBlobLayout.OutputBlob(BatchId, BatchBlobLayout.ErrorsFile));
        await Finalizer(storage).FinalizeAsync(BatchId, prepared, OutputLines.InternalError, "lost", "{}"u8.ToArray(), CancellationToken.None);

        Assert.Equal(first, await InMemoryStorage.GetAsync(storage.Output, BatchBlobLayout.OutputBlob(BatchId, BatchBlobLayout.OutputFile)));
        Assert.Equal(firstErrors, await InMemoryStorage.GetAsync(storage.Output, BatchBlobLayout.OutputBlob(BatchId, BatchBlobLayout.ErrorsFile)));
        Assert.Equal(4, first.Count(b => b == (byte)'\n'));
    }

    /// <summary>A finalizer over the account with nothing held in memory: every segment comes from the listing.</summary>
    private static BatchFinalizer Finalizer(InMemoryStorage storage)
        => new(storage.Store, new ChunkResultGatherer(storage.Work, new ResultSegmentCache()), storage.Output);

    /// <summary>Prepares <paramref name="lines"/> lines <c>q-0</c>… in chunks of 2.</summary>
    private static async Task<PreparedBatch> PrepareAsync(InMemoryStorage storage, int lines)
    {
        var jsonl = string.Concat(Enumerable.Range(0, lines).Select(i => $"{{\"custom_id\":\"q-{i}\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{{\"model\":\"m\",\"messages\":[{{\"role\":\"user\",\"content\":\"{i}\"}}]}}}}\n"));
        var preparer = new BatchPreparer(storage.Store, Microsoft.Extensions.Options.Options.Create(new BatchOptions()));
        var prepared = await preparer.PrepareAsync(BatchId, new MemoryStream(Encoding.UTF8.GetBytes(jsonl)), chunkSize: 2, CancellationToken.None);
        Assert.Equal(lines, prepared.Total);
        return prepared;
    }

    private static Task WriteSegmentAsync(InMemoryStorage storage, int chunk, params (int Index, byte[] Line)[] lines)
        => storage.Store.WriteResultSegmentAsync(BatchId, chunk, chunk, ResultSegmentWriter.Encode(lines), CancellationToken.None);

    private static async Task<List<JsonElement>> ReadLinesAsync(InMemoryStorage storage, string file)
    {
        var text = Encoding.UTF8.GetString(await InMemoryStorage.GetAsync(storage.Output, BatchBlobLayout.OutputBlob(BatchId, file)));
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }

    private static string? ErrorCode(JsonElement line) => line.GetProperty("error").GetProperty("code").GetString();

    private static byte[] Answer(int index, string text = "ok") =>
        OutputLines.Success(BatchId, index, $"q-{index}", $"r-{index}", 200, Encoding.UTF8.GetBytes($"{{\"text\":\"{text}\"}}"));

    private static byte[] Error(int index, string code = "server_error") => OutputLines.Error(BatchId, index, $"q-{index}", code, "boom");
}
