using System.Text.Json;
using Fanout.Core.Upstream;
using Xunit;

namespace Fanout.Tests.Upstream;

/// <summary>The names and lines Fanout sends to the Batch API, and the way back from a <c>custom_id</c> to a line.</summary>
public sealed class UpstreamLayoutTests
{
    [Fact]
    public void An_upstream_line_names_the_batch_deployment_keeps_the_body_and_carries_the_line_index()
    {
        var line = UpstreamService.UpstreamLine(41, "gpt-4o-mini-batch", """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"max_tokens":5}"""u8);

        Assert.Equal((byte)'\n', line[^1]);
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        Assert.Equal("fanout-41", root.GetProperty("custom_id").GetString());
        Assert.Equal("POST", root.GetProperty("method").GetString());
        Assert.Equal("/chat/completions", root.GetProperty("url").GetString());
        var body = root.GetProperty("body");
        Assert.Equal("gpt-4o-mini-batch", body.GetProperty("model").GetString());
        Assert.Single(body.EnumerateObject(), p => p.Name == "model");
        Assert.Equal(5, body.GetProperty("max_tokens").GetInt32());
        Assert.Equal("hi", body.GetProperty("messages")[0].GetProperty("content").GetString());
    }

    [Theory]
    [InlineData("fanout-0", 0)]
    [InlineData("fanout-123456", 123456)]
    public void A_custom_id_made_by_Fanout_names_its_line(string customId, int index)
    {
        Assert.True(UpstreamLayout.TryParseCustomId(customId, out var parsed));
        Assert.Equal(index, parsed);
        Assert.Equal(customId, UpstreamLayout.CustomId(index));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("p-1")]
    [InlineData("fanout-")]
    [InlineData("fanout--1")]
    [InlineData("fanout-1x")]
    public void Any_other_custom_id_names_no_line(string? customId) => Assert.False(UpstreamLayout.TryParseCustomId(customId, out _));

    [Fact]
    public void Names_are_the_same_for_the_same_batch_and_part_so_a_repeat_finds_them()
    {
        Assert.Equal("fanout-batch_abc-p007.jsonl", UpstreamLayout.FileName("batch_abc", 7));
        Assert.Equal(UpstreamLayout.FileName("batch_abc", 7), UpstreamLayout.FileName("batch_abc", 7));
        Assert.Equal("batch_abc/attempts/upstream-p007.jsonl", UpstreamLayout.Journal("batch_abc", 7));
    }
}
