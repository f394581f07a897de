using System.Text;
using System.Text.Json;
using Fanout.Core.Cache;
using Fanout.Core.Storage;
using Xunit;

namespace Fanout.Tests.Cache;

/// <summary>A cached output line is a normal success line plus <c>"cached": true</c>; an entry that is not an answer is a miss.</summary>
public sealed class CachedLinesTests
{
    private static readonly CachedResponse Answer = new(200, "req-upstream", Encoding.UTF8.GetBytes("""{"object":"chat.completion","usage":{"prompt_tokens":5,"completion_tokens":7}}"""));

    [Fact]
    public void A_cached_line_has_the_success_shape_plus_cached_true()
    {
        var line = CachedLines.Success("b1", 3, "q-3", Answer);
        var normal = OutputLines.Success("b1", 3, "q-3", "req-upstream", 200, Answer.Body.Span);

        using var cached = JsonDocument.Parse(line);
        using var plain = JsonDocument.Parse(normal);
        Assert.Equal('\n', (char)line[^1]);
        Assert.True(cached.RootElement.GetProperty("cached").GetBoolean());
        Assert.Equal(plain.RootElement.GetProperty("id").GetString(), cached.RootElement.GetProperty("id").GetString());
        Assert.Equal(plain.RootElement.GetProperty("response").GetRawText(), cached.RootElement.GetProperty("response").GetRawText());
        Assert.Equal(JsonValueKind.Null, cached.RootElement.GetProperty("error").ValueKind);
        Assert.True(CachedLines.IsCached(line));
        Assert.False(CachedLines.IsCached(normal));
        Assert.False(OutputLines.IsError(line));
    }

    [Fact]
    public void An_entry_holds_the_response_object_and_reads_back()
    {
        var json = Answer.ToJson();
        var back = CachedResponse.TryParse(json);

        Assert.Equal("""{"status_code":200,"request_id":"req-upstream","body":{"object":"chat.completion","usage":{"prompt_tokens":5,"completion_tokens":7}}}""", Encoding.UTF8.GetString(json));
        Assert.NotNull(back);
        Assert.Equal(Answer.StatusCode, back.StatusCode);
        Assert.Equal(Answer.RequestId, back.RequestId);
        Assert.Equal(Answer.Body.ToArray(), back.Body.ToArray());
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("""{"status_code":200,"request_id":"r","body":{"a":1}""")]
    [InlineData("""{"status_code":500,"request_id":"r","body":{}}""")]
    [InlineData("""{"status_code":200,"request_id":"r","body":"text"}""")]
    [InlineData("""{"status_code":200,"body":{}}""")]
    [InlineData("[1,2]")]
    public void An_entry_that_is_not_a_stored_answer_is_a_miss(string content)
    {
        Assert.Null(CachedResponse.TryParse(Encoding.UTF8.GetBytes(content)));
    }
}
