using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;

namespace Fanout.Core.Jsonl;

/// <summary>
/// Validates input lines one at a time, in order, against the contract in API.md ("Records"); remembers the custom_ids
/// seen so far to flag duplicates. Checks run in a fixed order (JSON, custom_id, duplicate, method, url, body) and a
/// line gets only the first error found.
/// </summary>
/// <param name="maxLineBytes">The longest line accepted.</param>
/// <param name="endpoint">
/// The batch's OpenAI <c>endpoint</c> (<see cref="BatchEndpoints"/>): every line's url must name the same operation. Null
/// (the native <c>/api/batches</c> path) accepts chat completions lines only.
/// </param>
internal sealed class BatchLineValidator(int maxLineBytes, string? endpoint = null)
{
    /// <summary>The longest custom_id accepted, in UTF-16 characters.</summary>
    public const int MaxCustomIdLength = 512;

    private const int MaxReasonLength = 200;

    // custom_id -> index of the line that first used it.
    private readonly Dictionary<string, int> seen = new(StringComparer.Ordinal);

    // Most lines of a batch name the same model: reuse its string instead of allocating one per line.
    private string? lastModel;

    /// <summary>A blank line before the end of the input: an error line, so every later line keeps its index.</summary>
    public static BatchLine Blank(int index) =>
        Invalid(index, null, LineErrorCodes.InvalidJsonLine, string.Create(CultureInfo.InvariantCulture, $"line {index + 1} is blank; only trailing blank lines are allowed"));

    /// <summary>A line longer than the limit; its content was never read, so it has no custom_id.</summary>
    public BatchLine TooLarge(int index) =>
        Invalid(index, null, LineErrorCodes.LineTooLarge, string.Create(CultureInfo.InvariantCulture, $"line {index + 1} is larger than the limit of {maxLineBytes} bytes"));

    /// <summary>Validates one non-blank line (without its line break) within the size limit.</summary>
    public BatchLine Validate(int index, ReadOnlySpan<byte> line)
    {
        var number = index + 1;
        if (!Utf8.IsValid(line))
        {
            return Invalid(index, null, LineErrorCodes.InvalidJsonLine, string.Create(CultureInfo.InvariantCulture, $"line {number} is not valid UTF-8 (at byte {FirstInvalidUtf8(line)})"));
        }

        var fields = default(LineFields);
        if (ReadFields(line, ref fields) is { } jsonError)
        {
            return Invalid(index, null, LineErrorCodes.InvalidJsonLine, string.Create(CultureInfo.InvariantCulture, $"line {number} is not valid JSON: {jsonError}"));
        }

        switch (fields.CustomIdType)
        {
            case JsonTokenType.None or JsonTokenType.Null:
                return Invalid(index, null, LineErrorCodes.MissingCustomId, "custom_id is required");
            case not JsonTokenType.String:
                return Invalid(index, null, LineErrorCodes.InvalidCustomId, $"custom_id must be a string, not {Describe(fields.CustomIdType)}");
            case JsonTokenType.String when fields.CustomId!.Length == 0:
                return Invalid(index, null, LineErrorCodes.InvalidCustomId, "custom_id must not be empty");
            case JsonTokenType.String when fields.CustomId!.Length > MaxCustomIdLength:
                return Invalid(index, null, LineErrorCodes.InvalidCustomId, string.Create(CultureInfo.InvariantCulture, $"custom_id is {fields.CustomId.Length} characters long; the limit is {MaxCustomIdLength}"));
        }

        var customId = fields.CustomId!;
        ref var firstIndex = ref CollectionsMarshal.GetValueRefOrAddDefault(seen, customId, out var exists);
        if (exists)
        {
            return Invalid(index, customId, LineErrorCodes.DuplicateCustomId, string.Create(CultureInfo.InvariantCulture, $"custom_id is already used by line {firstIndex + 1}"));
        }

        firstIndex = index;

        if (!fields.MethodIsPost)
        {
            return Invalid(index, customId, LineErrorCodes.InvalidMethod, fields.HasMethod ? "method must be \"POST\"" : "method is required and must be \"POST\"");
        }

        var embeddings = BatchEndpoints.IsEmbeddings(endpoint);
        if (embeddings ? !fields.UrlIsEmbeddings : !fields.UrlIsChatCompletions)
        {
            return Invalid(index, customId, LineErrorCodes.InvalidUrl, endpoint is null
                ? "url must be \"/v1/chat/completions\" or \"/chat/completions\""
                : $"url must match the batch's endpoint \"{endpoint}\"");
        }

        if (fields.BodyType != JsonTokenType.StartObject)
        {
            var message = fields.BodyType == JsonTokenType.None
                ? "body is required and must be a JSON object"
                : $"body must be a JSON object, not {Describe(fields.BodyType)}";
            return Invalid(index, customId, LineErrorCodes.InvalidBody, message);
        }

        var body = line.Slice(fields.BodyStart, fields.BodyLength);
        if ((embeddings ? ValidateEmbeddingsBody(body, out var model) : ValidateBody(body, out model)) is { } bodyError)
        {
            return Invalid(index, customId, LineErrorCodes.InvalidBody, bodyError);
        }

        return new BatchLine(index, customId, model, body.ToArray(), null, embeddings);
    }

    private static BatchLine Invalid(int index, string? customId, string code, string message) =>
        new(index, customId, null, ReadOnlyMemory<byte>.Empty, new LineError(code, message));

    /// <summary>Reads the top-level object once, validating the whole line as JSON; returns the parser's reason on failure.</summary>
    private static string? ReadFields(ReadOnlySpan<byte> line, ref LineFields fields)
    {
        var reader = new Utf8JsonReader(line);
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                var type = reader.TokenType;
                reader.Skip();
                reader.Read(); // Throws on content after the value.
                return $"expected a JSON object, not {Describe(type)}";
            }

            // Duplicate property names: the last one wins, as in most JSON parsers.
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("custom_id"u8))
                {
                    reader.Read();
                    fields.CustomIdType = reader.TokenType;
                    fields.CustomId = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("method"u8))
                {
                    reader.Read();
                    fields.HasMethod = true;
                    fields.MethodIsPost = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("POST"u8);
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("url"u8))
                {
                    reader.Read();
                    fields.UrlIsChatCompletions = reader.TokenType == JsonTokenType.String
                        && (reader.ValueTextEquals("/v1/chat/completions"u8) || reader.ValueTextEquals("/chat/completions"u8));
                    fields.UrlIsEmbeddings = reader.TokenType == JsonTokenType.String
                        && (reader.ValueTextEquals("/v1/embeddings"u8) || reader.ValueTextEquals("/embeddings"u8));
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("body"u8))
                {
                    reader.Read();
                    fields.BodyType = reader.TokenType;
                    var bodyStart = checked((int)reader.TokenStartIndex);
                    reader.Skip();
                    fields.BodyStart = bodyStart;
                    fields.BodyLength = checked((int)reader.BytesConsumed) - bodyStart;
                }
                else
                {
                    reader.Skip();
                }
            }

            reader.Read(); // Throws on content after the object.
            return null;
        }
        catch (JsonException ex)
        {
            return Reason(ex);
        }
    }

    /// <summary>Checks the chat completions request; returns the first problem, or null with <paramref name="model"/> set.</summary>
    private string? ValidateBody(ReadOnlySpan<byte> body, out string? model)
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
    private string? ValidateEmbeddingsBody(ReadOnlySpan<byte> body, out string? model)
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
                reader.Read();
                inputError = reader.TokenType switch
                {
                    JsonTokenType.String => reader.ValueSpan.Length == 0 && !reader.ValueIsEscaped ? "body.input must not be empty" : null,
                    JsonTokenType.StartArray => EmptyArray(ref reader) ? "body.input must not be an empty array" : null,
                    _ => $"body.input must be a string or an array, not {Describe(reader.TokenType)}",
                };
                reader.Skip();
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
        var error = $"body.model must be a string, not {Describe(reader.TokenType)}";
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
                error ??= string.Create(CultureInfo.InvariantCulture, $"body.messages[{count}] must be an object, not {Describe(reader.TokenType)}");
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
                        : string.Create(CultureInfo.InvariantCulture, $"body.messages[{count}].role must be a string, not {Describe(roleType)}");
                }
            }

            count++;
        }

        return count == 0 ? "body.messages must be a non-empty array" : error;
    }

    /// <summary>The parser's reason without its misleading "LineNumber: 0" (each line is parsed alone), capped in length.</summary>
    private static string Reason(JsonException ex)
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

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> line)
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

    private static string Describe(JsonTokenType type) => type switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => "missing",
    };

    private ref struct LineFields
    {
        public JsonTokenType CustomIdType;
        public string? CustomId;
        public bool HasMethod;
        public bool MethodIsPost;
        public bool UrlIsChatCompletions;
        public bool UrlIsEmbeddings;
        public JsonTokenType BodyType;
        public int BodyStart;
        public int BodyLength;
    }
}
