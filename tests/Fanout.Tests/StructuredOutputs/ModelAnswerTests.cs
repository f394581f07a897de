using System.Text;
using Fanout.Core.StructuredOutputs;
using Xunit;

namespace Fanout.Tests.StructuredOutputs;

/// <summary>The answer's text and refusal are read from chat completions and from Responses API bodies.</summary>
public sealed class ModelAnswerTests
{
    public static TheoryData<string, bool, string?, string?> Cases() => new()
    {
        // body, is responses, text, refusal
        { """{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"{\"a\":1}","refusal":null}}]}""", false, """{"a":1}""", null },
        { """{"choices":[{"message":{"role":"assistant","content":null,"refusal":"I can't."}}]}""", false, null, "I can't." },
        { """{"choices":[]}""", false, null, null },
        {
            """{"object":"response","output":[{"type":"reasoning","summary":[]},{"type":"message","role":"assistant","content":[{"type":"output_text","text":"{\"a\":","annotations":[]},{"type":"output_text","text":"1}"}]}]}""",
            true, """{"a":1}""", null
        },
        { """{"object":"response","output":[{"type":"message","role":"assistant","content":[{"type":"refusal","refusal":"No."}]}]}""", true, null, "No." },
        { """{"object":"response","output":[]}""", true, null, null },
        { "not json", true, null, null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Answer_text_and_refusal_come_from_the_chat_message_or_the_responses_message_items(string body, bool isResponse, string? text, string? refusal)
    {
        var answer = ModelAnswer.Read(Encoding.UTF8.GetBytes(body), isResponse);

        Assert.Equal(text, answer.Text);
        Assert.Equal(refusal, answer.Refusal);
    }
}
