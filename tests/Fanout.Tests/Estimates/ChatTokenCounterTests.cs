using System.Text;
using System.Text.Json;
using Fanout.Core.Estimates;
using Xunit;

namespace Fanout.Tests.Estimates;

public sealed class ChatTokenCounterTests
{
    // token-fixture.json: counts made by OpenAI's tiktoken (npm 1.0.22, see its "generator") for a fixed corpus, and
    // chat bodies counted with tiktoken and the cookbook's num_tokens_from_messages.
    private static readonly JsonElement Fixture = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Estimates", "token-fixture.json"))).RootElement;

    public static TheoryData<string> Encodings => [ChatTokenCounter.O200kBase, ChatTokenCounter.Cl100kBase];

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Every_text_of_the_fixture_counts_exactly_what_tiktoken_counts(string encoding)
    {
        var texts = Fixture.GetProperty("texts").EnumerateArray().ToList();
        Assert.True(texts.Count >= 25);

        var wrong = texts
            .Select(t => (Text: t.GetProperty("text").GetString()!, Expected: t.GetProperty(encoding).GetInt32()))
            .Select(t => (t.Text, t.Expected, Actual: ChatTokenCounter.CountText(encoding, t.Text)))
            .Where(t => t.Expected != t.Actual)
            .ToList();

        Assert.True(wrong.Count == 0, string.Join("\n", wrong.Select(w => $"{JsonSerializer.Serialize(w.Text)}: tiktoken {w.Expected}, counted {w.Actual}")));
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Chat_bodies_of_the_fixture_count_the_messages_and_their_overhead(string encoding)
    {
        foreach (var chat in Fixture.GetProperty("chats").EnumerateArray())
        {
            var body = Encoding.UTF8.GetBytes(chat.GetProperty("body").GetRawText());

            Assert.Equal(chat.GetProperty(encoding).GetInt32(), ChatTokenCounter.CountPrompt(encoding, body));
        }
    }

    // OpenAI cookbook, "How to count tokens with tiktoken", section 6: these messages cost 129 prompt tokens on gpt-4 and
    // gpt-3.5-turbo and 124 on gpt-4o and gpt-4o-mini, as counted by the OpenAI API itself.
    private const string CookbookBody = """
        {"model": "m", "max_tokens": 1, "messages": [
          {"role": "system", "content": "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},
          {"role": "system", "name": "example_user", "content": "New synergies will help drive top-line growth."},
          {"role": "system", "name": "example_assistant", "content": "Things working well together will increase revenue."},
          {"role": "system", "name": "example_user", "content": "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."},
          {"role": "system", "name": "example_assistant", "content": "Let's talk later when we're less busy about how to do better."},
          {"role": "user", "content": "This late pivot means we don't have time to boil the ocean for the client deliverable."}]}
        """;

    [Theory]
    [InlineData("gpt-4", 129)]
    [InlineData("gpt-35-turbo", 129)]
    [InlineData("gpt-4o", 124)]
    [InlineData("gpt-4o-mini", 124)]
    public void The_cookbook_example_costs_what_the_OpenAI_API_counted(string model, int promptTokens)
    {
        var count = ChatTokenCounter.CountPrompt(ChatTokenCounter.EncodingFor(model), Encoding.UTF8.GetBytes(CookbookBody));

        Assert.Equal(promptTokens, count);
    }

    // The same cookbook, section 7: these messages with this tool cost 105 prompt tokens on gpt-4 and gpt-3.5-turbo and
    // 101 on gpt-4o and gpt-4o-mini, as counted by the OpenAI API.
    private const string CookbookToolsBody = """
        {"messages": [
          {"role": "system", "content": "You are a helpful assistant that can answer to questions about the weather."},
          {"role": "user", "content": "What's the weather like in San Francisco?"}],
         "tools": [{"type": "function", "function": {"name": "get_current_weather", "description": "Get the current weather in a given location",
           "parameters": {"type": "object", "properties": {
             "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
             "unit": {"type": "string", "description": "The unit of temperature to return", "enum": ["celsius", "fahrenheit"]}},
           "required": ["location"]}}}]}
        """;

    [Theory]
    [InlineData("gpt-4", 105)]
    [InlineData("gpt-35-turbo", 105)]
    [InlineData("gpt-4o", 101)]
    [InlineData("gpt-4o-mini", 101)]
    public void The_cookbook_tools_example_costs_what_the_OpenAI_API_counted(string model, int promptTokens)
    {
        var count = ChatTokenCounter.CountPrompt(ChatTokenCounter.EncodingFor(model), Encoding.UTF8.GetBytes(CookbookToolsBody));

        Assert.Equal(promptTokens, count);
    }

    [Theory]
    [InlineData("gpt-4o-mini", ChatTokenCounter.O200kBase)]
    [InlineData("GPT-4o-2024-08-06", ChatTokenCounter.O200kBase)]
    [InlineData("gpt-4.1-nano", ChatTokenCounter.O200kBase)]
    [InlineData("o3-mini", ChatTokenCounter.O200kBase)]
    [InlineData("gpt-4", ChatTokenCounter.Cl100kBase)]
    [InlineData("gpt-4-32k-0613", ChatTokenCounter.Cl100kBase)]
    [InlineData("gpt-35-turbo", ChatTokenCounter.Cl100kBase)]
    [InlineData("gpt-3.5-turbo-0125", ChatTokenCounter.Cl100kBase)]
    [InlineData("my-deployment", ChatTokenCounter.O200kBase)]
    [InlineData(null, ChatTokenCounter.O200kBase)]
    public void The_encoding_follows_the_model_name(string? model, string encoding)
        => Assert.Equal(encoding, ChatTokenCounter.EncodingFor(model));

    [Fact]
    public void Images_and_numbers_add_no_text_tokens_but_the_message_overhead_stays()
    {
        var body = """{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}], "temperature": 0.2}"""u8;

        var count = ChatTokenCounter.CountPrompt(ChatTokenCounter.O200kBase, body);

        Assert.Equal(ChatTokenCounter.TokensPerMessage + ChatTokenCounter.CountText(ChatTokenCounter.O200kBase, "user") + ChatTokenCounter.ReplyPriming, count);
    }
}
