namespace Fanout.Core.Jsonl;

/// <summary>What <see cref="JsonlLineSplitter.ReadLineAsync"/> found.</summary>
internal enum JsonlLineKind
{
    /// <summary>No more input.</summary>
    End,

    /// <summary>A non-blank line within the size limit, available as <see cref="JsonlLineSplitter.Current"/>.</summary>
    Line,

    /// <summary>An empty or whitespace-only line (of any length).</summary>
    Blank,

    /// <summary>A non-blank line longer than the limit; its bytes were skipped, not kept.</summary>
    TooLarge,
}
