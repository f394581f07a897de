using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Fanout.Core.Jsonl;

/// <summary>Builds input lines for the <c>{"prompts": [...]}</c> HTTP form, in the same format as an uploaded JSONL batch.</summary>
public static class JsonlLineWriter
{
    // Relaxed escaping keeps non-ASCII text readable and compact; the output is JSON for our reader, never HTML.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// One input line, ending with <c>\n</c> so lines can be concatenated into a batch: <c>custom_id</c> is
    /// <paramref name="index"/> as a string, <c>body</c> is <c>{"model"?: model, "messages": [{"role": "user", "content": prompt}]}</c>,
    /// with <c>model</c> only when <paramref name="model"/> is not null or empty.
    /// </summary>
    public static byte[] PromptLine(int index, string prompt, string? model)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentNullException.ThrowIfNull(prompt);

        var buffer = new ArrayBufferWriter<byte>(prompt.Length + 160);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("custom_id"u8, index.ToString(CultureInfo.InvariantCulture));
            w.WriteString("method"u8, "POST"u8);
            w.WriteString("url"u8, "/v1/chat/completions"u8);
            w.WriteStartObject("body"u8);
            if (!string.IsNullOrEmpty(model))
            {
                w.WriteString("model"u8, model);
            }

            w.WriteStartArray("messages"u8);
            w.WriteStartObject();
            w.WriteString("role"u8, "user"u8);
            w.WriteString("content"u8, prompt);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }
}
