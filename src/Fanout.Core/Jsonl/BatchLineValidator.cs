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
/// (the native <c>/api/batches</c> path) accepts chat completions and responses lines, mixed.
/// </param>
internal sealed class BatchLineValidator(int maxLineBytes, string? endpoint = null)
{
    /// <summary>The longest custom_id accepted, in UTF-16 characters.</summary>
    public const int MaxCustomIdLength = 512;

    // custom_id -> index of the line that first used it.
    private readonly Dictionary<string, int> seen = new(StringComparer.Ordinal);

    private readonly RequestBodyValidator bodies = new();

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
            return Invalid(index, null, LineErrorCodes.InvalidJsonLine, string.Create(CultureInfo.InvariantCulture, $"line {number} is not valid UTF-8 (at byte {JsonText.FirstInvalidUtf8(line)})"));
        }

        var fields = default(LineFields);
        if (LineFields.Read(line, ref fields) is { } jsonError)
        {
            return Invalid(index, null, LineErrorCodes.InvalidJsonLine, string.Create(CultureInfo.InvariantCulture, $"line {number} is not valid JSON: {jsonError}"));
        }

        switch (fields.CustomIdType)
        {
            case JsonTokenType.None or JsonTokenType.Null:
                return Invalid(index, null, LineErrorCodes.MissingCustomId, "custom_id is required");
            case not JsonTokenType.String:
                return Invalid(index, null, LineErrorCodes.InvalidCustomId, $"custom_id must be a string, not {JsonText.Describe(fields.CustomIdType)}");
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
        var responses = endpoint is null ? fields.UrlIsResponses : BatchEndpoints.IsResponses(endpoint);
        var urlMatches = endpoint is null ? fields.UrlIsChatCompletions || fields.UrlIsResponses
            : embeddings ? fields.UrlIsEmbeddings
            : responses ? fields.UrlIsResponses
            : fields.UrlIsChatCompletions;
        if (!urlMatches)
        {
            return Invalid(index, customId, LineErrorCodes.InvalidUrl, endpoint is null
                ? "url must be \"/v1/chat/completions\", \"/chat/completions\", \"/v1/responses\" or \"/responses\""
                : $"url must match the batch's endpoint \"{endpoint}\"");
        }

        if (fields.BodyType != JsonTokenType.StartObject)
        {
            var message = fields.BodyType == JsonTokenType.None
                ? "body is required and must be a JSON object"
                : $"body must be a JSON object, not {JsonText.Describe(fields.BodyType)}";
            return Invalid(index, customId, LineErrorCodes.InvalidBody, message);
        }

        var body = line.Slice(fields.BodyStart, fields.BodyLength);
        var bodyError = embeddings ? bodies.ValidateEmbeddings(body, out var model)
            : responses ? bodies.ValidateResponses(body, out model)
            : bodies.ValidateChat(body, out model);
        if (bodyError is not null)
        {
            return Invalid(index, customId, LineErrorCodes.InvalidBody, bodyError);
        }

        return new BatchLine(index, customId, model, body.ToArray(), null, embeddings, responses);
    }

    private static BatchLine Invalid(int index, string? customId, string code, string message) =>
        new(index, customId, null, ReadOnlyMemory<byte>.Empty, new LineError(code, message));
}
