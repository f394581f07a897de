using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace Fanout.Core.Estimates;

/// <summary>
/// Counts the prompt tokens of a chat completions request body with the model's own tiktoken encoding, and the chat
/// format's overhead the way OpenAI counts it (the cookbook's <c>num_tokens_from_messages</c>, checked there against
/// the API): 3 tokens per message, 1 more per <c>name</c>, and 3 for the reply's priming
/// (<c>&lt;|start|&gt;assistant&lt;|message|&gt;</c>). Thread-safe; each encoding is loaded once per process.
/// </summary>
public static class ChatTokenCounter
{
    /// <summary>o200k_base: gpt-4o, gpt-4.1, gpt-5, the o-series and names not recognised (as OpenAI's cookbook does).</summary>
    public const string O200kBase = "o200k_base";

    /// <summary>cl100k_base: gpt-4, gpt-3.5-turbo (Azure: gpt-35-turbo), text-embedding-3 and ada-002.</summary>
    public const string Cl100kBase = "cl100k_base";

    /// <summary>Tokens every message adds around its content.</summary>
    public const int TokensPerMessage = 3;

    /// <summary>Tokens a message's <c>name</c> adds besides its text.</summary>
    public const int TokensPerName = 1;

    /// <summary>Tokens of the reply's priming, once per request.</summary>
    public const int ReplyPriming = 3;

    private static readonly ConcurrentDictionary<string, Lazy<Tokenizer>> Tokenizers = new(StringComparer.Ordinal);

    // Families by name fragment, checked in order: the first match wins (so "gpt-4o" is found before "gpt-4").
    private static readonly (string Fragment, string Encoding)[] Families =
    [
        ("gpt-4o", O200kBase), ("gpt-4.1", O200kBase), ("gpt-4.5", O200kBase), ("gpt-5", O200kBase), ("gpt-oss", O200kBase),
        ("o1", O200kBase), ("o3", O200kBase), ("o4", O200kBase),
        ("gpt-4", Cl100kBase), ("gpt-35", Cl100kBase), ("gpt-3.5", Cl100kBase), ("text-embedding", Cl100kBase),
    ];

    /// <summary>The encoding used for <paramref name="model"/> (a model or deployment name).</summary>
    public static string EncodingFor(string? model)
    {
        if (!string.IsNullOrEmpty(model))
        {
            foreach (var (fragment, encoding) in Families)
            {
                if (model.Contains(fragment, StringComparison.OrdinalIgnoreCase))
                {
                    return encoding;
                }
            }
        }

        return O200kBase;
    }

    /// <summary>The tokenizer of <paramref name="encoding"/> (<see cref="O200kBase"/> or <see cref="Cl100kBase"/>).</summary>
    public static Tokenizer TokenizerFor(string encoding)
        => Tokenizers.GetOrAdd(encoding, e => new Lazy<Tokenizer>(() => TiktokenTokenizer.CreateForEncoding(e))).Value;

    /// <summary>Tokens of <paramref name="text"/> in <paramref name="encoding"/>.</summary>
    public static int CountText(string encoding, string text) => TokenizerFor(encoding).CountTokens(text);

    /// <summary>
    /// Prompt tokens of a chat completions body (a JSON object already validated as a submit validates it): its
    /// <c>messages</c> and its function <c>tools</c>. Every string field of a message is counted (role, content, name,
    /// …); array content counts its <c>text</c> parts (images are not counted: their cost depends on the image's size);
    /// other non-string values (<c>tool_calls</c>) count the tokens of their JSON text, an approximation. Tools are
    /// counted with the cookbook's rules (<see cref="CountTools"/>).
    /// </summary>
    public static int CountPrompt(string encoding, ReadOnlySpan<byte> body)
    {
        var tokenizer = TokenizerFor(encoding);
        var reader = new Utf8JsonReader(body);
        reader.Read();
        var total = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("tools"u8))
            {
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                total += CountTools(encoding, body[start..(int)reader.BytesConsumed]);
                continue;
            }

            if (!reader.ValueTextEquals("messages"u8))
            {
                reader.Read();
                reader.Skip();
                continue;
            }

            reader.Read();
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                reader.Skip();
                continue;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                total += TokensPerMessage + CountMessage(tokenizer, ref reader, body);
            }

            total += ReplyPriming;
        }

        return total;
    }

    /// <summary>
    /// Tokens of a <c>tools</c> array of functions, by the rules of OpenAI's cookbook ("Counting tokens for chat
    /// completions with tool calls", checked there against the API): per function 7 (o200k models; 10 for cl100k ones)
    /// + "name:description"; with properties 3, then per property 3 + "key:type:description" (an <c>enum</c> adds −3
    /// and 3 + the item per item); 12 once at the end. A trailing '.' of a description is not counted.
    /// </summary>
    public static int CountTools(string encoding, ReadOnlySpan<byte> tools)
    {
        using var doc = JsonDocument.Parse(tools.ToArray());
        if (doc.RootElement.ValueKind != JsonValueKind.Array || doc.RootElement.GetArrayLength() == 0)
        {
            return 0;
        }

        var tokenizer = TokenizerFor(encoding);
        var functionStart = encoding == Cl100kBase ? 10 : 7;
        var total = 0;
        foreach (var tool in doc.RootElement.EnumerateArray())
        {
            if (tool.ValueKind != JsonValueKind.Object || !tool.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            total += functionStart + tokenizer.CountTokens($"{Text(function, "name")}:{Description(function)}");
            if (function.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object
                && parameters.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object
                && properties.EnumerateObject().Any())
            {
                total += 3;
                foreach (var property in properties.EnumerateObject())
                {
                    total += 3;
                    if (property.Value.ValueKind != JsonValueKind.Object)
                    {
                        continue;
                    }

                    if (property.Value.TryGetProperty("enum", out var values) && values.ValueKind == JsonValueKind.Array)
                    {
                        total -= 3;
                        foreach (var value in values.EnumerateArray())
                        {
                            total += 3 + tokenizer.CountTokens(value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText());
                        }
                    }

                    total += tokenizer.CountTokens($"{property.Name}:{Text(property.Value, "type")}:{Description(property.Value)}");
                }
            }
        }

        return total + 12;
    }

    private static string Text(JsonElement element, string name)
        => element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : string.Empty;

    private static string Description(JsonElement element)
    {
        var description = Text(element, "description");
        return description.EndsWith('.') ? description[..^1] : description;
    }

    private static int CountMessage(Tokenizer tokenizer, ref Utf8JsonReader reader, ReadOnlySpan<byte> body)
    {
        var tokens = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isName = reader.ValueTextEquals("name"u8);
            var isContent = reader.ValueTextEquals("content"u8);
            reader.Read();
            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    tokens += tokenizer.CountTokens(reader.GetString()!) + (isName ? TokensPerName : 0);
                    break;
                case JsonTokenType.StartArray when isContent:
                    tokens += CountParts(tokenizer, ref reader);
                    break;
                case JsonTokenType.StartArray or JsonTokenType.StartObject:
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    tokens += tokenizer.CountTokens(Encoding.UTF8.GetString(body[start..(int)reader.BytesConsumed]));
                    break;
                default:
                    // null, numbers, booleans: nothing the model reads as text.
                    break;
            }
        }

        return tokens;
    }

    private static int CountParts(Tokenizer tokenizer, ref Utf8JsonReader reader)
    {
        var tokens = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                tokens += tokenizer.CountTokens(reader.GetString()!);
                continue;
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isText = reader.ValueTextEquals("text"u8);
                reader.Read();
                if (isText && reader.TokenType == JsonTokenType.String)
                {
                    tokens += tokenizer.CountTokens(reader.GetString()!);
                }
                else
                {
                    reader.Skip();
                }
            }
        }

        return tokens;
    }
}
