using System.Text.Json;

namespace Fanout.Core.Estimates;

/// <summary>
/// Prompt tokens of a Responses API body (<c>/v1/responses</c>): its <c>instructions</c> and its <c>input</c>, a string
/// (one user message) or items. Each message item is counted as a chat message is (<see cref="ChatTokenCounter"/>: its
/// role, its text or its parts' <c>text</c>/<c>input_text</c>, plus the per-message overhead); other items (function
/// call outputs, …) count the tokens of their JSON text, an approximation. Function <c>tools</c> count as in chat.
/// </summary>
public static class ResponsesTokenCounter
{
    /// <summary>Tokens of the request's input and instructions, in <paramref name="encoding"/>.</summary>
    public static int CountPrompt(string encoding, ReadOnlySpan<byte> body)
    {
        var tokenizer = ChatTokenCounter.TokenizerFor(encoding);
        var reader = new Utf8JsonReader(body);
        using var doc = JsonDocument.ParseValue(ref reader);
        var root = doc.RootElement;
        var total = 0;
        if (root.TryGetProperty("instructions", out var instructions) && instructions.ValueKind == JsonValueKind.String)
        {
            // The instructions go in as a system message.
            total += ChatTokenCounter.TokensPerMessage + tokenizer.CountTokens("system") + tokenizer.CountTokens(instructions.GetString()!);
        }

        if (root.TryGetProperty("input", out var input))
        {
            if (input.ValueKind == JsonValueKind.String)
            {
                total += ChatTokenCounter.TokensPerMessage + tokenizer.CountTokens("user") + tokenizer.CountTokens(input.GetString()!);
            }
            else if (input.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in input.EnumerateArray())
                {
                    total += CountItem(tokenizer, item);
                }
            }
        }

        if (root.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array)
        {
            total += ChatTokenCounter.CountTools(encoding, System.Text.Encoding.UTF8.GetBytes(tools.GetRawText()));
        }

        return total + ChatTokenCounter.ReplyPriming;
    }

    private static int CountItem(Microsoft.ML.Tokenizers.Tokenizer tokenizer, JsonElement item)
    {
        if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("content", out var content))
        {
            return tokenizer.CountTokens(item.GetRawText());
        }

        var tokens = ChatTokenCounter.TokensPerMessage;
        if (item.TryGetProperty("role", out var role) && role.ValueKind == JsonValueKind.String)
        {
            tokens += tokenizer.CountTokens(role.GetString()!);
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return tokens + tokenizer.CountTokens(content.GetString()!);
        }

        if (content.ValueKind == JsonValueKind.Array)
        {
            foreach (var part in content.EnumerateArray())
            {
                if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
                {
                    // input_text / output_text parts; images and files are not counted (their cost depends on them).
                    tokens += tokenizer.CountTokens(text.GetString()!);
                }
            }
        }

        return tokens;
    }
}
