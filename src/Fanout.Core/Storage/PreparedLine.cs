using System.Text.Json;
using Fanout.Core.Jsonl;

namespace Fanout.Core.Storage;

/// <summary>One validated input line as stored in a prepared chunk: a request to send, or the reason it can't be.</summary>
/// <remarks>
/// <see cref="IsEmbedding"/> is stored as <c>"op": "embeddings"</c> and <see cref="IsResponse"/> as <c>"op": "responses"</c>,
/// only on such lines (chunks without it are chat lines).
/// </remarks>
public sealed record PreparedLine(string? CustomId, string? Model, ReadOnlyMemory<byte> Body, string? ErrorCode, string? ErrorMessage, bool IsEmbedding = false, bool IsResponse = false)
{
    /// <summary>True when the line failed validation.</summary>
    public bool IsError => ErrorCode is not null;

    /// <summary>Serialises a validated line (one JSON object, no newline).</summary>
    public static void Write(Utf8JsonWriter w, BatchLine line)
    {
        w.WriteStartObject();
        if (line.CustomId is not null)
        {
            w.WriteString("custom_id", line.CustomId);
        }

        if (line.Error is { } error)
        {
            w.WriteStartObject("error");
            w.WriteString("code", error.Code);
            w.WriteString("message", error.Message);
            w.WriteEndObject();
        }
        else
        {
            if (line.Model is not null)
            {
                w.WriteString("model", line.Model);
            }

            if (line.IsEmbedding)
            {
                w.WriteString("op", "embeddings");
            }
            else if (line.IsResponse)
            {
                w.WriteString("op", "responses");
            }

            w.WritePropertyName("body");
            w.WriteRawValue(line.Body.Span, skipInputValidation: true);
        }

        w.WriteEndObject();
        w.Flush();
    }

    /// <summary>
    /// Parses a line written by <see cref="Write"/>. One forward pass of a <see cref="Utf8JsonReader"/>, no document: the
    /// body is a slice of <paramref name="json"/> (the bytes as prepared, sent to the model unchanged), not a copy.
    /// </summary>
    public static PreparedLine Parse(ReadOnlyMemory<byte> json)
    {
        var reader = new Utf8JsonReader(json.Span);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("A prepared line is not a JSON object.");
        }

        string? customId = null, model = null, errorCode = null, errorMessage = null;
        ReadOnlyMemory<byte> body = default;
        bool hasBody = false, isEmbedding = false, isResponse = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("custom_id"u8))
            {
                reader.Read();
                customId = reader.TokenType == JsonTokenType.Null ? null : reader.GetString();
            }
            else if (reader.ValueTextEquals("model"u8))
            {
                reader.Read();
                model = reader.TokenType == JsonTokenType.Null ? null : reader.GetString();
            }
            else if (reader.ValueTextEquals("op"u8))
            {
                reader.Read();
                isEmbedding = reader.ValueTextEquals("embeddings"u8);
                isResponse = reader.ValueTextEquals("responses"u8);
            }
            else if (reader.ValueTextEquals("body"u8))
            {
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                body = json[start..(int)reader.BytesConsumed];
                hasBody = true;
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                (errorCode, errorMessage) = ReadError(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (errorCode is not null)
        {
            return new PreparedLine(customId, null, ReadOnlyMemory<byte>.Empty, errorCode, errorMessage);
        }

        return hasBody
            ? new PreparedLine(customId, model, body, null, null, isEmbedding, isResponse)
            : throw new KeyNotFoundException("A prepared line has neither a body nor an error.");
    }

    private static (string? Code, string? Message) ReadError(ref Utf8JsonReader reader)
    {
        string? code = null, message = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isCode = reader.ValueTextEquals("code"u8);
            var isMessage = reader.ValueTextEquals("message"u8);
            reader.Read();
            if (isCode)
            {
                code = reader.GetString();
            }
            else if (isMessage)
            {
                message = reader.GetString();
            }
            else
            {
                reader.Skip();
            }
        }

        return (code, message);
    }
}
