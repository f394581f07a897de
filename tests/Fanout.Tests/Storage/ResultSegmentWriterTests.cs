using Azure.Storage.Blobs;
using Fanout.Core.Models;
using Fanout.Core.Options;
using Fanout.Core.Storage;
using Fanout.Tests.Functions.OpenAI;
using Xunit;

namespace Fanout.Tests.Storage;

/// <summary>
/// The group commit of result lines keyed by batch: lines of the chunks that run side by side share segments (fewer,
/// larger blobs), each segment's name says which chunks it holds, none spans more than
/// <see cref="ResultSegmentWriter.MaxChunksPerSegment"/> chunks, and every line is read back in input order, by the
/// finalize's check and by the partial results alike.
/// </summary>
public sealed class ResultSegmentWriterTests
{
    private const int ChunkSize = 4;

    [Fact]
    public async Task Lines_of_many_chunks_share_segments_named_by_their_chunk_range_and_read_back_in_order()
    {
        var (store, blobs) = Store();
        var writer = new ResultSegmentWriter(store);
        const int Total = 300; // 75 chunks of 4: more than one segment's span, more than one segment's lines
        var prepared = new PreparedBatch(Total, 0, ChunkSize);

        // Out of order and all at once, as a window's activities finish.
        await Task.WhenAll(Enumerable.Range(0, Total).Reverse().Select(i => writer.WriteAsync("b1", i, ChunkSize, Line(i), CancellationToken.None)));

        var segments = blobs.Paths.Where(p => p.Contains("/b1/results/", StringComparison.Ordinal)).Select(p => p[(p.IndexOf("/b1/", StringComparison.Ordinal) + 1)..]).ToList();
        Assert.True(segments.Count < Total / ChunkSize, $"{segments.Count} segments for {Total / ChunkSize} chunks");
        foreach (var name in segments)
        {
            Assert.True(BatchBlobLayout.TryParseResultChunks("b1", name, out var first, out var last), name);
            Assert.True(last - first < ResultSegmentWriter.MaxChunksPerSegment, name);
            Assert.Equal(last > first, name.Contains($"/{last:D6}-", StringComparison.Ordinal));
        }

        var check = await store.CheckResultsAsync("b1", prepared, CancellationToken.None);
        Assert.Empty(check.Missing);
        Assert.Equal(Total, check.Stored.Completed);

        using var output = new MemoryStream();
        Assert.Equal(Total, await store.WriteFinishedPrefixAsync("b1", prepared, output, CancellationToken.None));
        var lines = System.Text.Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Enumerable.Range(0, Total).Select(i => $"q-{i}"), lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()));
    }

    [Fact]
    public async Task A_line_far_from_the_open_segment_does_not_stretch_it_and_a_gap_ends_the_partial_results()
    {
        var (store, blobs) = Store();
        var writer = new ResultSegmentWriter(store);
        var far = (ResultSegmentWriter.MaxChunksPerSegment + 10) * ChunkSize;
        var prepared = new PreparedBatch(far + 1, 0, ChunkSize);

        await Task.WhenAll(writer.WriteAsync("b2", 0, ChunkSize, Line(0), CancellationToken.None), writer.WriteAsync("b2", far, ChunkSize, Line(far), CancellationToken.None));

        foreach (var name in blobs.Paths.Where(p => p.Contains("/b2/results/", StringComparison.Ordinal)))
        {
            Assert.True(BatchBlobLayout.TryParseResultChunks("b2", name[(name.IndexOf("/b2/", StringComparison.Ordinal) + 1)..], out var first, out var last), name);
            Assert.True(last - first < ResultSegmentWriter.MaxChunksPerSegment, name);
        }

        var check = await store.CheckResultsAsync("b2", prepared, CancellationToken.None);
        Assert.Equal(far - 1, check.Missing.Count);
        Assert.DoesNotContain(0, check.Missing);
        Assert.DoesNotContain(far, check.Missing);
        using var output = new MemoryStream();
        Assert.Equal(1, await store.WriteFinishedPrefixAsync("b2", prepared, output, CancellationToken.None));
    }

    [Fact]
    public async Task A_segment_storage_acknowledged_but_its_listing_misses_is_reported_and_its_lines_count_as_missing()
    {
        var (store, blobs) = Store();
        var writer = new ResultSegmentWriter(store);
        var prepared = new PreparedBatch(3, 0, ChunkSize);
        await Task.WhenAll(Enumerable.Range(0, 3).Select(i => writer.WriteAsync("b3", i, ChunkSize, Line(i), CancellationToken.None)));
        var stored = blobs.Paths.Where(p => p.Contains("/b3/results/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(stored);

        // The listing no longer returns what the upload was acknowledged for.
        var service = Service(blobs);
        foreach (var path in stored)
        {
            var at = path.IndexOf("/b3/", StringComparison.Ordinal);
            await service.GetBlobContainerClient(path[..at].Split('/')[^1]).DeleteBlobAsync(path[(at + 1)..]);
        }

        Assert.DoesNotContain(blobs.Paths, p => p.Contains("/b3/results/", StringComparison.Ordinal));

        // The listing is the truth (a finalize on any host gathers the same lines); the segment is only reported.
        var check = await store.CheckResultsAsync("b3", prepared, CancellationToken.None);
        Assert.Equal([0, 1, 2], check.Missing);
        Assert.Equal(0, check.Stored.Completed);
        Assert.Equal(stored.Count, check.Unlisted);

        // Nothing this process wrote is unlisted when the listing is whole.
        var (other, _) = Store();
        await new ResultSegmentWriter(other).WriteAsync("b4", 0, ChunkSize, Line(0), CancellationToken.None);
        Assert.Equal(0, (await other.CheckResultsAsync("b4", new PreparedBatch(1, 0, ChunkSize), CancellationToken.None)).Unlisted);
    }

    [Theory]
    [InlineData("b/results/000003/0123456789abcdef0123456789abcdef.seg", 3, 3)]
    [InlineData("b/results/000003/000009-0123456789abcdef0123456789abcdef.seg", 3, 9)]
    [InlineData("b/results/000003/000001-0123456789abcdef0123456789abcdef.seg", 3, 3)]
    [InlineData("b/results/000003/12-x.seg", 3, 3)]
    public void A_segment_name_gives_the_chunks_it_holds(string name, int first, int last)
    {
        Assert.True(BatchBlobLayout.TryParseResultChunks("b", name, out var f, out var l));
        Assert.Equal((first, last), (f, l));
    }

    [Fact]
    public void A_new_segment_is_named_under_its_first_chunk_with_its_last_when_it_spans_several()
    {
        var id = Guid.Parse("0123456789abcdef0123456789abcdef");
        Assert.Equal("b/results/000002/0123456789abcdef0123456789abcdef.seg", BatchBlobLayout.ResultSegmentBlob("b", 2, 2, id));
        Assert.Equal("b/results/000002/000005-0123456789abcdef0123456789abcdef.seg", BatchBlobLayout.ResultSegmentBlob("b", 2, 5, id));
    }

    private static byte[] Line(int index) => OutputLines.Success("b", index, $"q-{index}", $"r-{index}", 200, """{"usage":{"prompt_tokens":1,"completion_tokens":1}}"""u8);

    private static (BatchStore Store, InMemoryBlobHandler Blobs) Store()
    {
        var blobs = new InMemoryBlobHandler();
        return (new BatchStore(Service(blobs), Microsoft.Extensions.Options.Options.Create(new StorageOptions())), blobs);
    }

    private static BlobServiceClient Service(InMemoryBlobHandler blobs) => new(
        new Uri("http://127.0.0.1:1/devstoreaccount1"),
        new BlobClientOptions { Transport = new Azure.Core.Pipeline.HttpClientTransport(new HttpClient(blobs)), Retry = { MaxRetries = 0 } });
}
