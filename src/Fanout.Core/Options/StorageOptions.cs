using System.ComponentModel.DataAnnotations;

namespace Fanout.Core.Options;

/// <summary>Blob storage settings (<c>Fanout:Storage</c>).</summary>
public sealed class StorageOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Fanout:Storage";

    /// <summary>A storage connection string (Azurite or a key); takes precedence over <see cref="BlobServiceUri"/>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The blob endpoint used with a managed identity when no connection string is given.</summary>
    public Uri? BlobServiceUri { get; set; }

    /// <summary>Client id of a user-assigned managed identity for storage (optional).</summary>
    public string? ClientId { get; set; }

    /// <summary>Container watched for uploaded batches.</summary>
    [Required]
    public string InputContainer { get; set; } = "batches-in";

    /// <summary>Container holding <c>{id}/output.jsonl</c>, <c>errors.jsonl</c> and <c>batch.json</c>.</summary>
    [Required]
    public string OutputContainer { get; set; } = "batches-out";

    /// <summary>Container for prepared inputs and staged results.</summary>
    [Required]
    public string WorkContainer { get; set; } = "batches-work";

    /// <summary>Container of the files of the OpenAI-compatible surface (<c>/v1/files</c>): uploads and batch output files.</summary>
    [Required]
    public string FilesContainer { get; set; } = "batches-files";
}
