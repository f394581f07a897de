namespace Fanout.Core.Jsonl;

/// <summary>
/// One input line after validation. <see cref="Index"/> is the zero-based position among the lines that are not ignored
/// (only trailing blank lines are ignored, so it is also the zero-based line number in the file).
/// </summary>
/// <param name="Index">Zero-based line index; the output line for this input goes to the same position.</param>
/// <param name="CustomId">The line's <c>custom_id</c> when it is a valid string, also on error lines; otherwise null.</param>
/// <param name="Model">The line's <c>body.model</c> (valid lines only); null when absent.</param>
/// <param name="Body">For valid lines, the raw UTF-8 JSON of the line's <c>body</c> object, to forward to the model; empty otherwise.</param>
/// <param name="Error">Why the line is invalid; null when it is valid.</param>
/// <param name="IsEmbedding">The body is an embeddings request (<c>/v1/embeddings</c>), not a chat completion.</param>
/// <param name="IsResponse">The body is a Responses API request (<c>/v1/responses</c>), not a chat completion.</param>
public sealed record BatchLine(int Index, string? CustomId, string? Model, ReadOnlyMemory<byte> Body, LineError? Error, bool IsEmbedding = false, bool IsResponse = false)
{
    /// <summary>True when the line passed validation and can be sent.</summary>
    public bool IsValid => Error is null;
}
