using System.Text.Json;

namespace Fanout.Core.StructuredOutputs;

/// <summary>
/// The format a line asks its answer to have: chat <c>response_format</c> or responses <c>text.format</c> of type
/// <c>json_schema</c> (with its <c>schema</c>) or <c>json_object</c>. Other types (<c>text</c>) are not checked.
/// </summary>
/// <param name="Schema">The JSON Schema's text for <c>json_schema</c>; null for <c>json_object</c>.</param>
public sealed record AnswerFormat(string? Schema)
{
    /// <summary>The format of a request body; null when the line asks for none that is checked.</summary>
    /// <param name="body">The line's body.</param>
    /// <param name="isResponse">A Responses API body (<c>text.format</c>) rather than chat (<c>response_format</c>).</param>
    public static AnswerFormat? Read(ReadOnlySpan<byte> body, bool isResponse)
    {
        // Most lines ask for no format: one allocation-free pass over the top level finds that out without a document.
        if (!HasTopLevelProperty(body, isResponse ? "text"u8 : "response_format"u8))
        {
            return null;
        }

        var reader = new Utf8JsonReader(body);
        using var doc = JsonDocument.ParseValue(ref reader);
        var root = doc.RootElement;
        JsonElement format;
        if (isResponse)
        {
            if (!root.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.Object || !text.TryGetProperty("format", out format))
            {
                return null;
            }
        }
        else if (!root.TryGetProperty("response_format", out format))
        {
            return null;
        }

        if (format.ValueKind != JsonValueKind.Object || !format.TryGetProperty("type", out var type))
        {
            return null;
        }

        if (type.ValueEquals("json_object"u8))
        {
            return new AnswerFormat(Schema: null);
        }

        if (!type.ValueEquals("json_schema"u8))
        {
            return null;
        }

        // Chat nests the schema in json_schema; responses keep it on the format itself.
        var holder = isResponse ? format : format.TryGetProperty("json_schema", out var js) && js.ValueKind == JsonValueKind.Object ? js : default;
        return holder.ValueKind == JsonValueKind.Object && holder.TryGetProperty("schema", out var schema)
            && schema.ValueKind is JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False
            ? new AnswerFormat(schema.GetRawText())
            : new AnswerFormat("true");
    }

    /// <summary>Whether <paramref name="body"/> is an object with a top-level property <paramref name="name"/>.</summary>
    internal static bool HasTopLevelProperty(ReadOnlySpan<byte> body, ReadOnlySpan<byte> name)
    {
        var reader = new Utf8JsonReader(body);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals(name))
            {
                return true;
            }

            reader.Read();
            reader.Skip();
        }

        return false;
    }
}
