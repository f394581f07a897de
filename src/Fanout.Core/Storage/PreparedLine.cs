using System.Buffers;
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

    /// <summary>Parses a line written by <see cref="Write"/>.</summary>
    public static PreparedLine Parse(ReadOnlyMemory<byte> json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        string? customId = root.TryGetProperty("custom_id", out var c) ? c.GetString() : null;
        if (root.TryGetProperty("error", out var e))
        {
            return new PreparedLine(customId, null, ReadOnlyMemory<byte>.Empty, e.GetProperty("code").GetString(), e.GetProperty("message").GetString());
        }

        string? model = root.TryGetProperty("model", out var m) ? m.GetString() : null;
        var body = root.GetProperty("body");
        var writer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(writer))
        {
            body.WriteTo(w);
        }

        var hasOp = root.TryGetProperty("op", out var op);
        return new PreparedLine(customId, model, writer.WrittenMemory, null, null, hasOp && op.ValueEquals("embeddings"u8), hasOp && op.ValueEquals("responses"u8));
    }
}
