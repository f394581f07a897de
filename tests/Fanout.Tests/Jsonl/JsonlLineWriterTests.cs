using System.Text.Json;
using Fanout.Core.Jsonl;
using Xunit;
using static Fanout.Tests.Jsonl.JsonlInput;

namespace Fanout.Tests.Jsonl;

public sealed class JsonlLineWriterTests
{
    public static TheoryData<string, string?> Prompts() => new()
    {
        { "Hello", null },
        { "Hello", "gpt-4o-mini" },
        { "She said \"hi\" and left", "gpt-4o" },
        { "line one\nline two\r\nline three\r", null },
        { "unicode: é ß 漢字 😀 \u2028 \u0000 end", "my-deployment" },
        { "back\\slash \t tab </script> & <b>", null },
        { string.Empty, null },
        { "lone surrogate \ud800 here", null },
    };

    [Theory]
    [MemberData(nameof(Prompts))]
    public async Task Prompt_line_reads_back_as_a_valid_line(string prompt, string? model)
    {
        var bytes = JsonlLineWriter.PromptLine(7, prompt, model);

        var line = Assert.Single(await ReadAllAsync(bytes));

        Assert.True(line.IsValid, line.Error?.Message);
        Assert.Equal("7", line.CustomId);
        Assert.Equal(model, line.Model);
        using var body = JsonDocument.Parse(line.Body);
        var message = Assert.Single(body.RootElement.GetProperty("messages").EnumerateArray());
        Assert.Equal("user", message.GetProperty("role").GetString());
        Assert.Equal(prompt.Replace("\ud800", "\ufffd", StringComparison.Ordinal), message.GetProperty("content").GetString());
        Assert.Equal(model is not null, body.RootElement.TryGetProperty("model", out _));
    }

    [Fact]
    public void Prompt_line_is_one_line_ending_with_a_newline()
    {
        var bytes = JsonlLineWriter.PromptLine(0, "a\nb\r\nc", "m");

        Assert.Equal((byte)'\n', bytes[^1]);
        Assert.Equal(1, bytes.Count(b => b == (byte)'\n'));
        Assert.DoesNotContain((byte)'\r', bytes);
    }

    [Fact]
    public async Task Prompt_lines_concatenate_into_a_batch_with_index_ids()
    {
        var prompts = new[] { "first", "second \"quoted\"", "third\nline", "fourth 😀" };
        var batch = prompts.SelectMany((p, i) => JsonlLineWriter.PromptLine(i, p, null)).ToArray();

        var lines = await ReadAllAsync(batch);

        Assert.Equal([Ok, Ok, Ok, Ok], CodesInOrder(lines));
        Assert.Equal(["0", "1", "2", "3"], lines.Select(l => l.CustomId));
        Assert.All(lines, l => Assert.Null(l.Model));
    }

    [Fact]
    public void Empty_model_is_left_out()
    {
        var bytes = JsonlLineWriter.PromptLine(1, "hi", string.Empty);

        using var doc = JsonDocument.Parse(bytes);
        Assert.False(doc.RootElement.GetProperty("body").TryGetProperty("model", out _));
    }
}
