using Azure.Storage.Blobs;
using Fanout.Core.Models;
using Fanout.Core.Storage;
using Xunit;

namespace Fanout.Tests.Storage;

/// <summary>
/// Gathering a chunk's stored results from its segments: each line once, in place, from whichever segment holds it, the
/// choice between copies the same whatever order the listing returns, and segments held in memory not downloaded again.
/// </summary>
public sealed class ChunkResultGathererTests
{
    private const string BatchId = "batch_g";
    private static readonly PreparedBatch Prepared = new(Total: 7, Invalid: 0, ChunkSize: 4); // chunks of 4 and 3 lines

    [Fact]
    public async Task Lines_from_several_segments_land_at_their_index_and_missing_lines_are_null()
    {
        var segments = new Dictionary<string, byte[]>
        {
            [Name(1, "a")] = Segment((4, Answer(4)), (6, Answer(6))),
            [Name(1, "b")] = Segment((5, Error(5))),
        };
        var gatherer = new ChunkResultGatherer((await ContainerAsync(segments)).Work, new ResultSegmentCache());

        var lines = await gatherer.GatherAsync(BatchId, Prepared, chunk: 1, CancellationToken.None);

        Assert.Equal(3, lines.Length);
        Assert.Equal(Answer(4), lines[0]!.Value.ToArray());
        Assert.Equal(Error(5), lines[1]!.Value.ToArray());
        Assert.Equal(Answer(6), lines[2]!.Value.ToArray());

        var partial = await new ChunkResultGatherer((await ContainerAsync(new() { [Name(1, "a")] = Segment((4, Answer(4))) })).Work, new ResultSegmentCache())
            .GatherAsync(BatchId, Prepared, chunk: 1, CancellationToken.None);
        Assert.NotNull(partial[0]);
        Assert.Null(partial[1]);
        Assert.Null(partial[2]);
    }

    [Fact]
    public async Task A_line_that_ran_twice_keeps_its_answer_over_an_error_and_the_first_of_two_answers_by_name_in_any_listing_order()
    {
        var first = Answer(1, "first");
        var second = Answer(1, "second");
        var segments = new Dictionary<string, byte[]>
        {
            [Name(0, "c")] = Segment((1, second)),
            [Name(0, "a")] = Segment((1, Error(1))),
            [Name(0, "b")] = Segment((1, first)),
        };

        foreach (var order in new[] { new[] { "c", "a", "b" }, ["a", "b", "c"], ["b", "c", "a"] })
        {
            var listed = order.Select(o => Name(0, o)).ToDictionary(n => n, n => segments[n]);
            var lines = await new ChunkResultGatherer((await ContainerAsync(listed)).Work, new ResultSegmentCache())
                .GatherAsync(BatchId, Prepared, chunk: 0, CancellationToken.None);

            Assert.Equal(first, lines[1]!.Value.ToArray());
        }
    }

    [Fact]
    public async Task A_segment_held_in_memory_is_not_downloaded_and_one_that_is_downloaded_is_remembered()
    {
        var held = Name(0, "held");
        var stored = Name(0, "stored");
        var cache = new ResultSegmentCache();
        cache.Remember(held, Segment((0, Answer(0))));
        var (container, downloads) = await ContainerAsync(new() { [held] = Segment((0, Answer(0))), [stored] = Segment((2, Answer(2))) });

        var lines = await new ChunkResultGatherer(container, cache).GatherAsync(BatchId, Prepared, chunk: 0, CancellationToken.None);

        Assert.NotNull(lines[0]);
        Assert.NotNull(lines[2]);
        Assert.Equal([stored], downloads);
        Assert.True(cache.TryGet(stored, out _));
    }

    [Fact]
    public async Task One_listing_of_the_batch_serves_every_chunk_with_the_same_lines_as_a_listing_per_chunk()
    {
        var segments = new Dictionary<string, byte[]>
        {
            [Name(0, "a")] = Segment((0, Answer(0)), (3, Error(3))),
            [Name(0, "b")] = Segment((3, Answer(3))),
            [Name(1, "a")] = Segment((5, Answer(5))),
            [BatchBlobLayout.ResultsPrefix(BatchId) + "stray.seg"] = Segment((1, Answer(1))), // not in a chunk folder: ignored
        };
        var container = (await ContainerAsync(segments)).Work;
        var gatherer = new ChunkResultGatherer(container, new ResultSegmentCache());

        var listed = await gatherer.ListAsync(BatchId, CancellationToken.None);
        var chunk0 = await gatherer.GatherAsync(Prepared, 0, listed, CancellationToken.None);
        var chunk1 = await gatherer.GatherAsync(Prepared, 1, listed, CancellationToken.None);

        Assert.Equal(3, listed.Count);
        Assert.Equal(Answer(0), chunk0[0]!.Value.ToArray());
        Assert.Null(chunk0[1]);
        Assert.Equal(Answer(3), chunk0[3]!.Value.ToArray());
        Assert.Equal(Answer(5), chunk1[1]!.Value.ToArray());
        Assert.Null(chunk1[0]);
    }

    [Theory]
    [InlineData("batch_g/results/000012/x.seg", true, 12)]
    [InlineData("batch_g/results/000000/y.seg", true, 0)]
    [InlineData("batch_g/results/x.seg", false, -1)]
    [InlineData("batch_g/chunks/000001.jsonl", false, -1)]
    [InlineData("batch_h/results/000001/x.seg", false, -1)]
    public void A_segment_name_gives_its_chunk(string name, bool parsed, int chunk)
    {
        Assert.Equal(parsed, BatchBlobLayout.TryParseResultChunk(BatchId, name, out var found));
        Assert.Equal(chunk, found);
    }

    private static string Name(int chunk, string suffix) => BatchBlobLayout.ResultPrefix(BatchId, chunk) + suffix;

    private static byte[] Answer(int index, string text = "ok") =>
        OutputLines.Success(BatchId, index, $"q-{index}", $"r-{index}", 200, System.Text.Encoding.UTF8.GetBytes($"{{\"text\":\"{text}\"}}"));

    private static byte[] Error(int index) => OutputLines.Error(BatchId, index, $"q-{index}", "server_error", "boom");

    private static byte[] Segment(params (int Index, byte[] Line)[] lines) => ResultSegmentWriter.Encode(lines);

    /// <summary>
    /// The work container of an in-memory account holding <paramref name="segments"/>, listed in their order (not the
    /// storage's ordinal order), and the list where each blob download is recorded.
    /// </summary>
    private static async Task<(BlobContainerClient Work, List<string> Downloads)> ContainerAsync(Dictionary<string, byte[]> segments)
    {
        var storage = new InMemoryStorage();
        foreach (var (name, bytes) in segments)
        {
            await InMemoryStorage.PutAsync(storage.Work, name, bytes);
        }

        var order = segments.Keys.Select(n => $"/devstoreaccount1/{storage.Options.WorkContainer}/{n}").ToList();
        storage.Handler.ListOrder = listed => listed.OrderBy(p => order.IndexOf(p));
        storage.Downloads.Clear();
        return (storage.Work, storage.Downloads);
    }
}
