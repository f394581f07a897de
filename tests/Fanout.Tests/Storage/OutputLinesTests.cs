using System.Text;
using System.Text.Json;
using Fanout.Core.Storage;
using Xunit;

namespace Fanout.Tests.Storage;

public sealed class OutputLinesTests
{
    [Fact]
    public void Success_line_embeds_the_response_body_unchanged_and_has_a_null_error()
    {
        var body = """{"object":"chat.completion","choices":[{"message":{"content":"hi"}}],"usage":{"prompt_tokens":1}}"""u8.ToArray();

        var line = OutputLines.Success("b1", 7, "q-7", "rid", 200, body);

        Assert.Equal((byte)'\n', line[^1]);
        using var doc = JsonDocument.Parse(line);
        Assert.Equal("q-7", doc.RootElement.GetProperty("custom_id").GetString());
        Assert.Equal(OutputLines.RequestId("b1", 7), doc.RootElement.GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("error").ValueKind);
        Assert.Equal(Encoding.UTF8.GetString(body), doc.RootElement.GetProperty("response").GetProperty("body").GetRawText());
        Assert.False(OutputLines.IsError(line.AsSpan(0, line.Length - 1)));
    }

    [Fact]
    public void Error_line_keeps_its_custom_id_and_is_recognised_as_an_error()
    {
        var line = OutputLines.Error("b1", 3, null, "invalid_json_line", "line 4: bad \"json\"");

        using var doc = JsonDocument.Parse(line);
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("custom_id").ValueKind);
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("response").ValueKind);
        Assert.Equal("invalid_json_line", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.True(OutputLines.IsError(line.AsSpan(0, line.Length - 1)));
    }

    [Fact]
    public void Request_ids_are_deterministic_per_batch_and_line()
    {
        Assert.Equal(OutputLines.RequestId("b", 1), OutputLines.RequestId("b", 1));
        Assert.NotEqual(OutputLines.RequestId("b", 1), OutputLines.RequestId("b", 2));
        Assert.NotEqual(OutputLines.RequestId("b", 1), OutputLines.RequestId("c", 1));
    }

    [Fact]
    public void Result_segments_round_trip_index_tagged_lines_in_any_order()
    {
        (int, byte[])[] lines = [(12, "x\n"u8.ToArray()), (3, []), (7, Encoding.UTF8.GetBytes("{\"é\":1}\n"))];

        var decoded = ResultSegmentWriter.Decode(ResultSegmentWriter.Encode(lines)).Select(l => (l.Index, l.Line.ToArray())).ToArray();

        Assert.Equal(lines.Select(l => l.Item1), decoded.Select(d => d.Index));
        Assert.Equal(lines.Select(l => l.Item2), decoded.Select(d => d.Item2));
    }

    [Theory]
    [InlineData("""{"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}""", 7, 3)]
    [InlineData("""{"object":"response","usage":{"input_tokens":9,"input_tokens_details":{"cached_tokens":0},"output_tokens":4,"total_tokens":13}}""", 9, 4)]
    [InlineData("""{"object":"response"}""", 0, 0)]
    [InlineData("""{"choices":[{"message":{"content":"{\"usage\":{\"prompt_tokens\":99}}"}}],"usage":{"completion_tokens":2,"prompt_tokens":5}}""", 5, 2)]
    [InlineData("""{"usage":{"prompt_tokens":"seven","completion_tokens":3}}""", 0, 3)]
    [InlineData("""{"usage":null}""", 0, 0)]
    [InlineData("""[{"usage":{"prompt_tokens":1}}]""", 0, 0)]
    public void Usage_is_read_from_the_chat_and_the_responses_shapes(string body, int prompt, int completion)
    {
        Assert.Equal((prompt, completion), OutputLines.ReadUsage(Encoding.UTF8.GetBytes(body)));
        Assert.Equal((prompt, completion), OutputLines.ReadLineUsage(OutputLines.Success("b", 0, "c", "r", 200, Encoding.UTF8.GetBytes(body))));
    }

    [Theory]
    [InlineData("""{"usage":{"prompt_tokens":1""")]
    [InlineData("not json")]
    [InlineData("")]
    public void Usage_of_a_body_that_is_not_json_is_zero(string body)
        => Assert.Equal((0, 0), OutputLines.ReadUsage(Encoding.UTF8.GetBytes(body)));
}
