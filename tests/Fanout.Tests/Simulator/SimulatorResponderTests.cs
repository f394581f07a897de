using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Fanout.Simulator;
using Fanout.Simulator.Apis;
using Xunit;

namespace Fanout.Tests.Simulator;

public sealed class SimulatorResponderTests
{
    [Fact]
    public void Content_is_hash_prefix_and_echo_of_the_prompt()
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("Hi there")))[..8];

        Assert.Equal($"sim:{hash} Hi there", SimulatorResponder.ContentFor("Hi there"));
    }

    [Fact]
    public void Content_is_deterministic_and_differs_between_prompts()
    {
        var prompts = Enumerable.Range(0, 1000).Select(i => $"prompt {i}").ToList();

        var first = prompts.Select(SimulatorResponder.ContentFor).ToList();
        var second = prompts.Select(SimulatorResponder.ContentFor).ToList();

        Assert.Equal(first, second);
        Assert.Equal(prompts.Count, first.Distinct().Count());
    }

    [Fact]
    public void Content_echo_is_cut_at_echo_length_without_splitting_surrogate_pairs()
    {
        var longPrompt = new string('a', 500);
        var emojiAtCut = new string('b', SimulatorResponder.EchoLength - 1) + "😀tail";

        var content = SimulatorResponder.ContentFor(longPrompt);
        var emojiContent = SimulatorResponder.ContentFor(emojiAtCut);

        Assert.EndsWith(" " + new string('a', SimulatorResponder.EchoLength) + "...", content);
        Assert.EndsWith(" " + new string('b', SimulatorResponder.EchoLength - 1) + "...", emojiContent);
    }

    [Fact]
    public void Content_of_empty_prompt_is_the_hash_prefix()
    {
        Assert.Matches("^sim:[0-9a-f]{8} $", SimulatorResponder.ContentFor(""));
    }

    [Theory]
    [InlineData("", 1)]
    [InlineData("a", 1)]
    [InlineData("abcd", 1)]
    [InlineData("abcde", 2)]
    [InlineData("0123456789012345", 4)]
    public void Tokens_are_characters_over_four_rounded_up_at_least_one(string text, int expected)
    {
        Assert.Equal(expected, SimulatorResponder.EstimateTokens(text));
    }

    [Fact]
    public void Completion_id_is_deterministic_from_the_prompt()
    {
        var id = SimulatorResponder.CompletionIdFor("x");

        Assert.Matches("^chatcmpl-[0-9a-f]{24}$", id);
        Assert.Equal(id, SimulatorResponder.CompletionIdFor("x"));
        Assert.NotEqual(id, SimulatorResponder.CompletionIdFor("y"));
    }

    [Fact]
    public void Prompt_joins_message_contents_with_newlines_and_text_parts()
    {
        var request = Parse("""
            {"model":"m","messages":[
              {"role":"system","content":"be brief"},
              {"role":"user","content":[{"type":"text","text":"part one "},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"part two"}]},
              {"role":"assistant","content":null},
              {"role":"user","content":"last"}],
             "max_tokens":64,"stream":true,"stream_options":{"include_usage":true}}
            """);

        Assert.Equal("be brief\npart one part two\n\nlast", request.Prompt);
        Assert.Equal("m", request.Model);
        Assert.Equal(64, request.MaxTokens);
        Assert.True(request.Stream);
        Assert.True(request.IncludeUsage);
    }

    [Fact]
    public void Max_completion_tokens_wins_over_max_tokens()
    {
        var request = Parse("""{"messages":[{"role":"user","content":"a"}],"max_tokens":64,"max_completion_tokens":8}""");

        Assert.Equal(8, request.MaxTokens);
        Assert.Null(request.Model);
        Assert.False(request.Stream);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("""{"model":"m"}""")]
    [InlineData("""{"messages":[]}""")]
    [InlineData("""{"messages":[{"role":"user","content":5}]}""")]
    [InlineData("""{"messages":[{"role":"user","content":"a"}],"max_tokens":-1}""")]
    [InlineData("""{"messages":[{"role":"user","content":"a"}],"max_tokens":"ten"}""")]
    public void Bodies_that_are_not_chat_requests_are_rejected_with_a_reason(string json)
    {
        using var document = JsonDocument.Parse(json);

        Assert.False(ChatRequest.TryParse(document.RootElement, out var request, out var error));
        Assert.Null(request);
        Assert.False(string.IsNullOrEmpty(error));
    }

    private static ChatRequest Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        Assert.True(ChatRequest.TryParse(document.RootElement, out var request, out var error), error);
        return request!;
    }
}
