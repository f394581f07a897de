using System.Text.Json;

namespace Fanout.Core.Jsonl;

/// <summary>The top-level fields of an input line that the contract checks (custom_id, method, url, body), read in one pass.</summary>
internal ref struct LineFields
{
    public JsonTokenType CustomIdType;
    public string? CustomId;
    public bool HasMethod;
    public bool MethodIsPost;
    public bool UrlIsChatCompletions;
    public bool UrlIsEmbeddings;
    public bool UrlIsResponses;
    public JsonTokenType BodyType;
    public int BodyStart;
    public int BodyLength;

    /// <summary>Reads the top-level object once, validating the whole line as JSON; returns the parser's reason on failure.</summary>
    public static string? Read(ReadOnlySpan<byte> line, ref LineFields fields)
    {
        var reader = new Utf8JsonReader(line);
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                var type = reader.TokenType;
                reader.Skip();
                reader.Read(); // Throws on content after the value.
                return $"expected a JSON object, not {JsonText.Describe(type)}";
            }

            // Duplicate property names: the last one wins, as in most JSON parsers.
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("custom_id"u8))
                {
                    reader.Read();
                    fields.CustomIdType = reader.TokenType;
                    fields.CustomId = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("method"u8))
                {
                    reader.Read();
                    fields.HasMethod = true;
                    fields.MethodIsPost = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("POST"u8);
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("url"u8))
                {
                    reader.Read();
                    fields.UrlIsChatCompletions = reader.TokenType == JsonTokenType.String
                        && (reader.ValueTextEquals("/v1/chat/completions"u8) || reader.ValueTextEquals("/chat/completions"u8));
                    fields.UrlIsEmbeddings = reader.TokenType == JsonTokenType.String
                        && (reader.ValueTextEquals("/v1/embeddings"u8) || reader.ValueTextEquals("/embeddings"u8));
                    fields.UrlIsResponses = reader.TokenType == JsonTokenType.String
                        && (reader.ValueTextEquals("/v1/responses"u8) || reader.ValueTextEquals("/responses"u8));
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("body"u8))
                {
                    reader.Read();
                    fields.BodyType = reader.TokenType;
                    var bodyStart = checked((int)reader.TokenStartIndex);
                    reader.Skip();
                    fields.BodyStart = bodyStart;
                    fields.BodyLength = checked((int)reader.BytesConsumed) - bodyStart;
                }
                else
                {
                    reader.Skip();
                }
            }

            reader.Read(); // Throws on content after the object.
            return null;
        }
        catch (JsonException ex)
        {
            return JsonText.Reason(ex);
        }
    }
}
