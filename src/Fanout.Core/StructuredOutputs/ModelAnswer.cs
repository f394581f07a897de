using System.Text;
using System.Text.Json;

namespace Fanout.Core.StructuredOutputs;

/// <summary>What a model said in a response body: its text, or its refusal.</summary>
/// <param name="Text">Chat: <c>choices[0].message.content</c>; responses: the <c>output_text</c> parts of its message items, joined.</param>
/// <param name="Refusal">Chat: <c>choices[0].message.refusal</c>; responses: a <c>refusal</c> content item's text.</param>
public sealed record ModelAnswer(string? Text, string? Refusal)
{
    /// <summary>Reads the answer of a chat completion or (<paramref name="isResponse"/>) a Responses API body.</summary>
    public static ModelAnswer Read(ReadOnlySpan<byte> body, bool isResponse)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            return doc.RootElement.ValueKind != JsonValueKind.Object ? new ModelAnswer(null, null)
                : isResponse ? FromResponse(doc.RootElement) : FromChat(doc.RootElement);
        }
        catch (JsonException)
        {
            return new ModelAnswer(null, null);
        }
    }

    private static ModelAnswer FromChat(JsonElement root)
    {
        if (!root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0
            || !choices[0].TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object)
        {
            return new ModelAnswer(null, null);
        }

        return new ModelAnswer(StringOf(message, "content"), StringOf(message, "refusal"));
    }

    private static ModelAnswer FromResponse(JsonElement root)
    {
        if (!root.TryGetProperty("output", out var output) || output.ValueKind != JsonValueKind.Array)
        {
            return new ModelAnswer(null, null);
        }

        StringBuilder? text = null;
        foreach (var item in output.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || StringOf(item, "type") != "message"
                || !item.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            foreach (var part in content.EnumerateArray())
            {
                switch (part.ValueKind == JsonValueKind.Object ? StringOf(part, "type") : null)
                {
                    case "refusal":
                        return new ModelAnswer(null, StringOf(part, "refusal") ?? string.Empty);
                    case "output_text":
                        (text ??= new StringBuilder()).Append(StringOf(part, "text"));
                        break;
                }
            }
        }

        return new ModelAnswer(text?.ToString(), null);
    }

    private static string? StringOf(JsonElement element, string name)
        => element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
