using System.Globalization;
using System.Text.Json;

namespace Fanout.Core.Jsonl;

/// <summary>
/// Checks the <c>body</c> of an input line: a chat completions request (messages, model, max_tokens), an embeddings
/// request (input, model) or a Responses API request (input, model, max_output_tokens). Returns the first problem found, or null with the line's model.
/// </summary>
internal sealed class RequestBodyValidator
{
    // Most lines of a batch name the same model: reuse its string instead of allocating one per line.
    private string? lastModel;

    /// <summary>Checks the chat completions request; returns the first problem, or null with <paramref name="model"/> set.</summary>
    public string? ValidateChat(ReadOnlySpan<byte> body, out string? model)
    {
        model = null;
        string? messagesError = "body.messages must be a non-empty array";
        string? modelError = null;
        string? maxTokensError = null;

        // The line was already parsed whole, so this second pass over the body cannot fail.
        var reader = new Utf8JsonReader(body);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("messages"u8))
            {
                reader.Read();
                messagesError = CheckMessages(ref reader);
            }
            else if (reader.ValueTextEquals("model"u8))
            {
                modelError = ReadModel(ref reader, out model);
            }
            else if (reader.ValueTextEquals("max_tokens"u8))
            {
                reader.Read();
                maxTokensError = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var maxTokens) && maxTokens > 0
                    ? null
                    : "body.max_tokens must be a positive integer";
                reader.Skip();
            }
            else
            {
                reader.Skip();
            }
        }

        return messagesError ?? modelError ?? maxTokensError;
    }

    /// <summary>Checks an embeddings request (<c>input</c>: a non-empty string or array); returns the first problem, or null with <paramref name="model"/> set.</summary>
    public string? ValidateEmbeddings(ReadOnlySpan<byte> body, out string? model)
    {
        model = null;
        string? inputError = "body.input is required: a string or a non-empty array";
        string? modelError = null;
        var reader = new Utf8JsonReader(body);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("input"u8))
            {
                inputError = ReadInput(ref reader, "an array");
            }
            else if (reader.ValueTextEquals("model"u8))
            {
                modelError = ReadModel(ref reader, out model);
            }
            else
            {
                reader.Skip();
            }
        }

        return inputError ?? modelError;
    }

    /// <summary>Reads <c>input</c> (the reader on its name): a non-empty string or a non-empty array; the problem, or null.</summary>
    private static string? ReadInput(ref Utf8JsonReader reader, string arrayName)
    {
        reader.Read();
        var error = reader.TokenType switch
        {
            JsonTokenType.String => reader.ValueSpan.Length == 0 && !reader.ValueIsEscaped ? "body.input must not be empty" : null,
            JsonTokenType.StartArray => EmptyArray(ref reader) ? "body.input must not be an empty array" : null,
            _ => $"body.input must be a string or {arrayName}, not {JsonText.Describe(reader.TokenType)}",
        };
        reader.Skip();
        return error;
    }

    /// <summary>
    /// Checks a Responses API request (<c>input</c>: a non-empty string or a non-empty array of items;
    /// <c>max_output_tokens</c>: a positive integer); returns the first problem, or null with <paramref name="model"/> set.
    /// </summary>
    public string? ValidateResponses(ReadOnlySpan<byte> body, out string? model)
    {
        model = null;
        string? inputError = "body.input is required: a string or a non-empty array of items";
        string? modelError = null;
        string? maxTokensError = null;
        var reader = new Utf8JsonReader(body);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("input"u8))
            {
                inputError = ReadInput(ref reader, "an array of items");
            }
            else if (reader.ValueTextEquals("model"u8))
            {
                modelError = ReadModel(ref reader, out model);
            }
            else if (reader.ValueTextEquals("max_output_tokens"u8))
            {
                reader.Read();
                maxTokensError = reader.TokenType == JsonTokenType.Null
                    || (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var maxTokens) && maxTokens > 0)
                    ? null
                    : "body.max_output_tokens must be a positive integer";
                reader.Skip();
            }
            else
            {
                reader.Skip();
            }
        }

        return inputError ?? modelError ?? maxTokensError;
    }

    /// <summary>Reads the value of <c>model</c>; returns the problem with it, or null with <paramref name="model"/> set.</summary>
    private string? ReadModel(ref Utf8JsonReader reader, out string? model)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.String)
        {
            model = lastModel is not null && reader.ValueTextEquals(lastModel) ? lastModel : lastModel = reader.GetString();
            return null;
        }

        model = null;
        var error = $"body.model must be a string, not {JsonText.Describe(reader.TokenType)}";
        reader.Skip();
        return error;
    }

    /// <summary>True when the array the reader is on has no elements; the reader stays on its start.</summary>
    private static bool EmptyArray(ref Utf8JsonReader reader)
    {
        var copy = reader;
        return copy.Read() && copy.TokenType == JsonTokenType.EndArray;
    }

    /// <summary>Reads the value of <c>messages</c> to its end; returns the first problem found in it.</summary>
    private static string? CheckMessages(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return "body.messages must be a non-empty array";
        }

        string? error = null;
        var count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                error ??= string.Create(CultureInfo.InvariantCulture, $"body.messages[{count}] must be an object, not {JsonText.Describe(reader.TokenType)}");
                reader.Skip();
            }
            else
            {
                var roleType = JsonTokenType.None;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("role"u8))
                    {
                        reader.Read();
                        roleType = reader.TokenType;
                    }

                    reader.Skip();
                }

                if (roleType != JsonTokenType.String)
                {
                    error ??= roleType == JsonTokenType.None
                        ? string.Create(CultureInfo.InvariantCulture, $"body.messages[{count}].role is required")
                        : string.Create(CultureInfo.InvariantCulture, $"body.messages[{count}].role must be a string, not {JsonText.Describe(roleType)}");
                }
            }

            count++;
        }

        return count == 0 ? "body.messages must be a non-empty array" : error;
    }
}
