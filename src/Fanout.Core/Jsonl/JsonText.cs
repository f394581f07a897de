using System.Globalization;
using System.Text.Json;

namespace Fanout.Core.Jsonl;

/// <summary>The words of the per-line error messages: JSON token types, parser reasons, invalid UTF-8 positions.</summary>
internal static class JsonText
{
    private const int MaxReasonLength = 200;

    /// <summary>The parser's reason without its misleading "LineNumber: 0" (each line is parsed alone), capped in length.</summary>
    public static string Reason(JsonException ex)
    {
        var message = ex.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut >= 0)
        {
            message = message[..cut];
        }

        if (message.Length > MaxReasonLength)
        {
            message = string.Concat(message.AsSpan(0, MaxReasonLength), "…");
        }

        return ex.BytePositionInLine is { } position ? string.Create(CultureInfo.InvariantCulture, $"{message} (at byte {position})") : message;
    }

    /// <summary>The offset of the first byte that is not valid UTF-8 (the length when all are).</summary>
    public static int FirstInvalidUtf8(ReadOnlySpan<byte> line)
    {
        var offset = 0;
        while (offset < line.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(line[offset..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return offset;
    }

    /// <summary>A JSON token type in words, for error messages ("an object", "a string", …).</summary>
    public static string Describe(JsonTokenType type) => type switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => "missing",
    };
}
