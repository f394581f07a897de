namespace Fanout.Core.OpenAICompat;

/// <summary>The answer of <c>DELETE /v1/files/{id}</c>.</summary>
public sealed record OpenAIFileDeleted(string Id)
{
    /// <summary>Always "file".</summary>
    public string Object => "file";

    /// <summary>Always true.</summary>
    public bool Deleted => true;
}
