namespace Fanout.Core.OpenAICompat;

/// <summary>OpenAI's list object: one page, with the cursors of its first and last items.</summary>
public sealed record OpenAIList<T>(IReadOnlyList<T> Data, string? FirstId, string? LastId, bool HasMore)
{
    /// <summary>Always "list".</summary>
    public string Object => "list";
}
