namespace Fanout.Core.Storage;

/// <summary>
/// Which copy of a line's result wins when the line ran more than once (activities are at-least-once): the first copy
/// in segment-name order, except that an answer beats an error, so a retry that failed never hides a stored result.
/// Segment names are sorted before this is applied, so every finalize attempt makes the same choice.
/// </summary>
internal static class DuplicateResultRule
{
    /// <summary>Whether <paramref name="candidate"/> replaces <paramref name="kept"/> (null: nothing kept yet).</summary>
    public static bool Replaces(ReadOnlyMemory<byte>? kept, ReadOnlyMemory<byte> candidate) =>
        kept is not { } k || (IsErrorLine(k) && !IsErrorLine(candidate));

    /// <summary>Whether an output line (with or without its trailing newline) is an error line.</summary>
    public static bool IsErrorLine(ReadOnlyMemory<byte> line) => OutputLines.IsError(line.Span.TrimEnd((byte)'\n'));
}
