using System.Buffers;
using System.Text.Json;
using Fanout.Core.Storage;

namespace Fanout.Core.Cache;

/// <summary>The output line of a line answered from the cache or from its twin: the normal shape plus <c>"cached": true</c>.</summary>
public static class CachedLines
{
    /// <summary>The property that marks such a line.</summary>
    public const string CachedProperty = "cached";

    /// <summary>A success line carrying <paramref name="answer"/>, marked <c>"cached": true</c>.</summary>
    public static byte[] Success(string batchId, int index, string? customId, CachedResponse answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        var buffer = new ArrayBufferWriter<byte>(answer.Body.Length + 256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id", OutputLines.RequestId(batchId, index));
            if (customId is null)
            {
                w.WriteNull("custom_id");
            }
            else
            {
                w.WriteString("custom_id", customId);
            }

            w.WritePropertyName("response");
            answer.WriteTo(w);
            w.WriteNull("error");
            w.WriteBoolean(CachedProperty, true);
            w.WriteEndObject();
        }

        var bytes = new byte[buffer.WrittenCount + 1];
        buffer.WrittenSpan.CopyTo(bytes);
        bytes[^1] = (byte)'\n';
        return bytes;
    }

    /// <summary>True when the output line says <c>"cached": true</c> (such a line's usage was not spent by this batch).</summary>
    public static bool IsCached(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isCached = reader.ValueTextEquals("cached"u8);
                reader.Read();
                if (isCached)
                {
                    return reader.TokenType == JsonTokenType.True;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }

        return false;
    }
}
