using System.Text;
using System.Text.Json;
using Fanout.Core.StructuredOutputs;
using Xunit;

namespace Fanout.Tests.StructuredOutputs;

/// <summary>Which lines are checked: chat <c>response_format</c> and responses <c>text.format</c> of json_schema or json_object.</summary>
public sealed class AnswerFormatTests
{
    [Fact]
    public void A_chat_json_schema_format_carries_the_nested_schema()
    {
        var body = """{"messages":[],"response_format":{"type":"json_schema","json_schema":{"name":"p","strict":true,"schema":{"type":"object","required":["a"]}}}}""";

        var format = AnswerFormat.Read(Encoding.UTF8.GetBytes(body), isResponse: false);

        Assert.NotNull(format);
        Assert.Equal("object", JsonDocument.Parse(format.Schema!).RootElement.GetProperty("type").GetString());
    }

    [Fact]
    public void A_responses_json_schema_format_carries_the_schema_on_the_format()
    {
        var body = """{"input":"x","text":{"format":{"type":"json_schema","name":"p","schema":{"type":"array"}}}}""";

        var format = AnswerFormat.Read(Encoding.UTF8.GetBytes(body), isResponse: true);

        Assert.Equal("array", JsonDocument.Parse(format!.Schema!).RootElement.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("""{"messages":[],"response_format":{"type":"json_object"}}""", false)]
    [InlineData("""{"input":"x","text":{"format":{"type":"json_object"}}}""", true)]
    public void Json_object_is_checked_without_a_schema(string body, bool isResponse)
    {
        var format = AnswerFormat.Read(Encoding.UTF8.GetBytes(body), isResponse);

        Assert.NotNull(format);
        Assert.Null(format.Schema);
    }

    [Theory]
    [InlineData("""{"messages":[]}""", false)]
    [InlineData("""{"messages":[],"response_format":{"type":"text"}}""", false)]
    [InlineData("""{"input":"x","text":{"format":{"type":"text"}}}""", true)]
    [InlineData("""{"input":"x","response_format":{"type":"json_object"}}""", true)]
    public void Lines_without_a_json_format_are_not_checked(string body, bool isResponse)
        => Assert.Null(AnswerFormat.Read(Encoding.UTF8.GetBytes(body), isResponse));
}
