namespace Fanout.Core.Jsonl;

/// <summary>The per-line validation error codes of the public contract (API.md, "Records").</summary>
public static class LineErrorCodes
{
    /// <summary>Not valid UTF-8, not valid JSON, not a JSON object, or a blank line before the end of the input.</summary>
    public const string InvalidJsonLine = "invalid_json_line";

    /// <summary><c>custom_id</c> is absent or null.</summary>
    public const string MissingCustomId = "missing_custom_id";

    /// <summary><c>custom_id</c> is not a string, is empty, or is longer than 512 characters.</summary>
    public const string InvalidCustomId = "invalid_custom_id";

    /// <summary><c>custom_id</c> was already used by an earlier line of the batch.</summary>
    public const string DuplicateCustomId = "duplicate_custom_id";

    /// <summary><c>method</c> is not <c>POST</c>.</summary>
    public const string InvalidMethod = "invalid_method";

    /// <summary><c>url</c> is not a supported endpoint.</summary>
    public const string InvalidUrl = "invalid_url";

    /// <summary><c>body</c> is not a valid chat completions request.</summary>
    public const string InvalidBody = "invalid_body";

    /// <summary>The line is longer than <see cref="JsonlReaderOptions.MaxLineBytes"/>.</summary>
    public const string LineTooLarge = "line_too_large";
}
