using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Fanout.Core.Jsonl;
using Fanout.Core.Storage;
using Xunit;

namespace Fanout.Tests.Storage;

/// <summary>
/// A prepared line read back (once per line, on every prompt's hot path): its fields as written, and its body the very
/// bytes of the prepared chunk (a slice, not a re-serialised copy), so the model gets the request exactly as prepared.
/// </summary>
public sealed class PreparedLineTests
{
    [Fact]
    public void A_request_line_reads_back_its_fields_and_its_body_as_a_slice_of_the_chunk()
    {
        var body = """{ "model": "x", "messages": [ { "role": "user", "content": "h\u00e9 \"quoted\"" } ], "max_tokens": 32 }""";
        var chunk = Chunk(new BatchLine(0, "a", null, Encoding.UTF8.GetBytes("{}"), null), new BatchLine(1, "q-1", "gpt-4o", Encoding.UTF8.GetBytes(body), null));

        var line = PreparedLine.Parse(chunk.Lines[1]);

        Assert.Equal("q-1", line.CustomId);
        Assert.Equal("gpt-4o", line.Model);
        Assert.False(line.IsError);
        Assert.False(line.IsEmbedding);
        Assert.False(line.IsResponse);
        Assert.Equal(body, Encoding.UTF8.GetString(line.Body.Span));
        Assert.True(MemoryMarshal.TryGetArray(line.Body, out var segment));
        Assert.Same(chunk.Buffer, segment.Array);
    }

    [Fact]
    public void Embedding_and_responses_lines_and_error_lines_keep_what_they_were_prepared_with()
    {
        var chunk = Chunk(
            new BatchLine(0, "e", null, Encoding.UTF8.GetBytes("""{"input":"x"}"""), null, IsEmbedding: true),
            new BatchLine(1, "r", null, Encoding.UTF8.GetBytes("""{"input":"y"}"""), null, IsResponse: true),
            new BatchLine(2, null, null, ReadOnlyMemory<byte>.Empty, new LineError("invalid_json", "Line 3 is not JSON.")));

        var embedding = PreparedLine.Parse(chunk.Lines[0]);
        var response = PreparedLine.Parse(chunk.Lines[1]);
        var error = PreparedLine.Parse(chunk.Lines[2]);

        Assert.True(embedding.IsEmbedding);
        Assert.False(embedding.IsResponse);
        Assert.Equal("""{"input":"x"}""", Encoding.UTF8.GetString(embedding.Body.Span));
        Assert.True(response.IsResponse);
        Assert.False(response.IsEmbedding);
        Assert.True(error.IsError);
        Assert.Null(error.CustomId);
        Assert.Equal("invalid_json", error.ErrorCode);
        Assert.Equal("Line 3 is not JSON.", error.ErrorMessage);
        Assert.True(error.Body.IsEmpty);
    }

    /// <summary>Lines written one after another into one buffer, as a prepared chunk holds them.</summary>
    private static (byte[] Buffer, ReadOnlyMemory<byte>[] Lines) Chunk(params BatchLine[] lines)
    {
        var stream = new MemoryStream();
        var offsets = new List<(int Start, int End)>();
        foreach (var line in lines)
        {
            var start = (int)stream.Length;
            using (var w = new Utf8JsonWriter(stream))
            {
                PreparedLine.Write(w, line);
            }

            offsets.Add((start, (int)stream.Length));
            stream.WriteByte((byte)'\n');
        }

        var buffer = stream.ToArray();
        return (buffer, [.. offsets.Select(o => new ReadOnlyMemory<byte>(buffer, o.Start, o.End - o.Start))]);
    }
}
