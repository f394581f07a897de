using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Fanout.Core.Storage;

/// <summary>Builds and inspects output lines in the OpenAI Batch output format.</summary>
public static class OutputLines
{
    /// <summary>Error code for lines never sent because the batch was cancelled.</summary>
    public const string BatchCancelled = "batch_cancelled";

    /// <summary>Error code for lines not sent because the batch's token budget (<c>maxTotalTokens</c>) was used up.</summary>
    public const string BudgetExceeded = "budget_exceeded";

    /// <summary>Error code for a line whose activity failed for a reason other than the model (storage down after retries).</summary>
    public const string InternalError = "internal_error";

    /// <summary>A deterministic request id for line <paramref name="index"/> of <paramref name="batchId"/>.</summary>
    public static string RequestId(string batchId, int index)
    {
        Span<byte> hash = stackalloc byte[32];
        var text = $"{batchId}:{index}";
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return "req_" + Convert.ToHexStringLower(hash[..12]);
    }

    /// <summary>A success line whose response body is the model's raw JSON.</summary>
    public static byte[] Success(string batchId, int index, string? customId, string? requestId, int statusCode, ReadOnlySpan<byte> body)
    {
        var buffer = new ArrayBufferWriter<byte>(body.Length + 256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id", RequestId(batchId, index));
            WriteCustomId(w, customId);
            w.WriteStartObject("response");
            w.WriteNumber("status_code", statusCode);
            w.WriteString("request_id", requestId ?? string.Empty);
            w.WritePropertyName("body");
            w.WriteRawValue(body, skipInputValidation: false);
            w.WriteEndObject();
            w.WriteNull("error");
            w.WriteEndObject();
        }

        return WithNewline(buffer.WrittenSpan);
    }

    /// <summary>An error line.</summary>
    public static byte[] Error(string batchId, int index, string? customId, string code, string message)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id", RequestId(batchId, index));
            WriteCustomId(w, customId);
            w.WriteNull("response");
            w.WriteStartObject("error");
            w.WriteString("code", code);
            w.WriteString("message", message);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return WithNewline(buffer.WrittenSpan);
    }

    /// <summary>True when the output line carries a non-null <c>error</c>.</summary>
    public static bool IsError(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return true;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isError = reader.ValueTextEquals("error"u8);
            reader.Read();
            if (isError)
            {
                return reader.TokenType != JsonTokenType.Null;
            }

            reader.Skip();
        }

        return false;
    }

    /// <summary>
    /// The usage of a model response body (<c>usage.prompt_tokens</c>, <c>usage.completion_tokens</c>; a Responses API
    /// body's <c>usage.input_tokens</c>, <c>usage.output_tokens</c>); zeros when absent.
    /// </summary>
    public static (int Prompt, int Completion) ReadUsage(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            return ReadUsage(doc.RootElement);
        }
        catch (JsonException)
        {
            return (0, 0);
        }
    }

    /// <summary>The usage recorded in a success output line (its <c>response.body</c>); zeros when absent.</summary>
    public static (int Prompt, int Completion) ReadLineUsage(ReadOnlySpan<byte> line)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            using var doc = JsonDocument.ParseValue(ref reader);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Object
                && response.TryGetProperty("body", out var body)
                ? ReadUsage(body)
                : (0, 0);
        }
        catch (JsonException)
        {
            return (0, 0);
        }
    }

    private static (int Prompt, int Completion) ReadUsage(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("usage", out var u) || u.ValueKind != JsonValueKind.Object)
        {
            return (0, 0);
        }

        var p = (u.TryGetProperty("prompt_tokens", out var pt) || u.TryGetProperty("input_tokens", out pt)) && pt.TryGetInt32(out var pv) ? pv : 0;
        var c = (u.TryGetProperty("completion_tokens", out var ct) || u.TryGetProperty("output_tokens", out ct)) && ct.TryGetInt32(out var cv) ? cv : 0;
        return (p, c);
    }

    private static void WriteCustomId(Utf8JsonWriter w, string? customId)
    {
        if (customId is null)
        {
            w.WriteNull("custom_id");
        }
        else
        {
            w.WriteString("custom_id", customId);
        }
    }

    private static byte[] WithNewline(ReadOnlySpan<byte> json)
    {
        var bytes = new byte[json.Length + 1];
        json.CopyTo(bytes);
        bytes[^1] = (byte)'\n';
        return bytes;
    }
}
