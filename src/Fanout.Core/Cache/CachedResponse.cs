using System.Buffers;
using System.Text.Json;

namespace Fanout.Core.Cache;

/// <summary>
/// A stored answer: exactly what an output line's <c>response</c> holds (<c>status_code</c>, <c>request_id</c>,
/// <c>body</c>), nothing of the batch or line it came from.
/// </summary>
/// <param name="StatusCode">The model's status code (2xx).</param>
/// <param name="RequestId">The model's request id.</param>
/// <param name="Body">The model's JSON body, as it answered.</param>
public sealed record CachedResponse(int StatusCode, string RequestId, ReadOnlyMemory<byte> Body)
{
    /// <summary>The entry's bytes: the <c>response</c> object of an output line.</summary>
    public byte[] ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>(Body.Length + 96);
        using (var w = new Utf8JsonWriter(buffer))
        {
            WriteTo(w);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes the <c>response</c> object.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteNumber("status_code", StatusCode);
        writer.WriteString("request_id", RequestId);
        writer.WritePropertyName("body");
        writer.WriteRawValue(Body.Span, skipInputValidation: false);
        writer.WriteEndObject();
    }

    /// <summary>Reads an entry; null when it is not one (corrupt, truncated, not a success): a miss, never an error.</summary>
    public static CachedResponse? TryParse(ReadOnlyMemory<byte> json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("status_code", out var s) || !s.TryGetInt32(out var status) || status is < 200 or > 299
                || !root.TryGetProperty("request_id", out var r) || r.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("body", out var b) || b.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            return new CachedResponse(status, r.GetString()!, JsonSerializer.SerializeToUtf8Bytes(b));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}
