using System.Text;
using Fanout.Core.Cache;
using Xunit;

namespace Fanout.Tests.Cache;

/// <summary>The cache key: the same request in any spelling is one key; any change that matters is another.</summary>
public sealed class RequestKeyTests
{
    private const string Chat = "/v1/chat/completions";
    private const string Body = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"max_tokens":64,"temperature":0.5}""";

    private static string Key(string body, string pool = "gpt-4o-mini", string url = Chat) => RequestKey.Of(url, pool, Encoding.UTF8.GetBytes(body));

    [Fact]
    public void A_key_is_64_lowercase_hex_characters()
    {
        Assert.Matches("^[0-9a-f]{64}$", Key(Body));
    }

    [Fact]
    public void Property_order_whitespace_number_and_escape_spellings_do_not_change_the_key()
    {
        var respelled = """
            { "temperature": 5e-1, "max_tokens": 64.0,
              "messages": [ { "content": "\u0048i", "role": "user" } ],
              "model": "gpt-4o-mini" }
            """;

        Assert.Equal(Key(Body), Key(respelled));
    }

    [Theory]
    [InlineData("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"max_tokens":64,"temperature":0.7}""")]
    [InlineData("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"max_tokens":65,"temperature":0.5}""")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}],"max_tokens":64,"temperature":0.5}""")]
    [InlineData("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi!"}],"max_tokens":64,"temperature":0.5}""")]
    [InlineData("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"max_tokens":64}""")]
    public void A_changed_parameter_is_another_key(string changed)
    {
        Assert.NotEqual(Key(Body), Key(changed));
    }

    [Fact]
    public void The_pool_and_the_url_are_part_of_the_key()
    {
        Assert.NotEqual(Key(Body), Key(Body, pool: "gpt-4o-mini-eu"));
        Assert.NotEqual(Key(Body), Key(Body, url: "/v1/embeddings"));
    }

    [Fact]
    public void Both_spellings_of_an_endpoint_are_one_url()
    {
        Assert.Equal(Chat, RequestKey.UrlOf(isEmbedding: false));
        Assert.Equal("/v1/embeddings", RequestKey.UrlOf(isEmbedding: true));
    }
}
