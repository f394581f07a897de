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
        // One allocation-free pass to the top-level "usage" (every answer's usage is read once or twice per line).
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return (0, 0);
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isUsage = reader.ValueTextEquals("usage"u8);
                reader.Read();
                if (isUsage)
                {
                    return reader.TokenType == JsonTokenType.StartObject ? ReadUsageObject(ref reader) : (0, 0);
                }

                reader.Skip();
            }

            return (0, 0);
        }
        catch (JsonException)
        {
            return (0, 0);
        }
    }

    private static (int Prompt, int Completion) ReadUsageObject(ref Utf8JsonReader reader)
    {
        int? prompt = null, input = null, completion = null, output = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueTextEquals("prompt_tokens"u8) ? 1 : reader.ValueTextEquals("input_tokens"u8) ? 2
                : reader.ValueTextEquals("completion_tokens"u8) ? 3 : reader.ValueTextEquals("output_tokens"u8) ? 4 : 0;
            reader.Read();
            if (name == 0)
            {
                reader.Skip();
                continue;
            }

            var value = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var v) ? v : 0;
            _ = name switch
            {
                1 => prompt = value,
                2 => input = value,
                3 => completion = value,
                _ => output = value,
            };
        }

        // As before: prompt_tokens (chat) wins over input_tokens (responses) when both are there.
        return (prompt ?? input ?? 0, completion ?? output ?? 0);
    }

    /// <summary>The usage recorded in a success output line (its <c>response.body</c>); zeros when absent.</summary>
    public static (int Prompt, int Completion) ReadLineUsage(ReadOnlySpan<byte> line)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!FindProperty(ref reader, "response"u8) || reader.TokenType != JsonTokenType.StartObject || !FindProperty(ref reader, "body"u8))
            {
                return (0, 0);
            }

            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            return ReadUsage(line[start..(int)reader.BytesConsumed]);
        }
        catch (JsonException)
        {
            return (0, 0);
        }
    }

    /// <summary>Moves the reader into the object it is at (or the document's root object) to the value of property <paramref name="name"/>.</summary>
    private static bool FindProperty(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        if (reader.TokenType == JsonTokenType.None && !reader.Read())
        {
            return false;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var found = reader.ValueTextEquals(name);
            reader.Read();
            if (found)
            {
                return true;
            }

            reader.Skip();
        }

        return false;
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
