namespace Fanout.Core.OpenAICompat;

/// <summary>OpenAI's file object (<c>/v1/files</c>); Fanout's files are always <c>processed</c> once stored.</summary>
public sealed record OpenAIFileObject(string Id, long Bytes, long CreatedAt, string Filename, string Purpose)
{
    /// <summary>Always "file".</summary>
    public string Object => "file";

    /// <summary>Always "processed": a file is stored whole or not at all.</summary>
    public string Status => "processed";

    /// <summary>Fanout does not expire files.</summary>
    public long? ExpiresAt => null;

    /// <summary>Always null (deprecated in OpenAI's API).</summary>
    public string? StatusDetails => null;
}
