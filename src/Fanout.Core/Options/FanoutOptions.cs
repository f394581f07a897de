using System.ComponentModel.DataAnnotations;

namespace Fanout.Core.Options;

/// <summary>Azure OpenAI connection settings (<c>Fanout:OpenAI</c>).</summary>
public sealed class OpenAIOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Fanout:OpenAI";

    /// <summary>The Azure OpenAI endpoint, e.g. https://my-aoai.openai.azure.com/. Absent on the portable host = the built-in simulator.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>API key; absent = managed identity / <c>DefaultAzureCredential</c>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The deployment used when neither the line nor the batch names one.</summary>
    [Required]
    [RegularExpression(DeploymentName.Pattern, ErrorMessage = "Fanout:OpenAI:Deployment must be 1-64 letters, digits, '.', '_' or '-'.")]
    public string Deployment { get; set; } = "gpt-4o-mini";

    /// <summary>Client id of a user-assigned managed identity (optional).</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>Timeout of one HTTP call to the model, in seconds; a hung call is cut and retried.</summary>
    [Range(1, 3600, ErrorMessage = "Fanout:OpenAI:TimeoutSeconds must be between 1 and 3600.")]
    public int TimeoutSeconds { get; set; } = 120;

    /// <summary>Retries inside one activity for transient failures (429, 408, 5xx, timeouts), honouring Retry-After.</summary>
    [Range(0, 20, ErrorMessage = "Fanout:OpenAI:MaxRetries must be between 0 and 20.")]
    public int MaxRetries { get; set; } = 4;

    /// <summary>A server-requested wait longer than this is handed to the orchestrator as a durable timer instead of held in the activity.</summary>
    [Range(0, 600, ErrorMessage = "Fanout:OpenAI:MaxInActivityWaitSeconds must be between 0 and 600.")]
    public int MaxInActivityWaitSeconds { get; set; } = 5;

    /// <summary>
    /// Optional (<c>Fanout:OpenAI:ThrottleGateSpacingMs</c>, default 5): after a 429 the process holds every call to that
    /// deployment until the Retry-After moment (<see cref="Llm.DeploymentThrottleGate"/>); the calls it then releases, and
    /// those sent while <c>x-ratelimit-remaining-tokens</c> says the quota is about used up, leave this many milliseconds
    /// apart instead of all at once. 0 releases them together.
    /// </summary>
    [Range(0, 1000, ErrorMessage = "Fanout:OpenAI:ThrottleGateSpacingMs must be between 0 and 1000.")]
    public int ThrottleGateSpacingMs { get; set; } = 5;

    /// <summary>How many times a line may be re-scheduled by the orchestrator after a long throttling wait before it fails.</summary>
    [Range(0, 100, ErrorMessage = "Fanout:OpenAI:MaxDurableRetries must be between 0 and 100.")]
    public int MaxDurableRetries { get; set; } = DefaultMaxDurableRetries;

    /// <summary>The default of <see cref="MaxDurableRetries"/> (also of the orchestration inputs that carry it).</summary>
    public const int DefaultMaxDurableRetries = 20;

    /// <summary>
    /// The longest one prompt activity can keep a call to the model going: every try timing out, with the longest
    /// wait between tries, plus a margin for reading the line and storing the result.
    /// </summary>
    public int MaxCallSeconds => (TimeoutSeconds * (MaxRetries + 1)) + (Math.Max(MaxInActivityWaitSeconds, 10) * MaxRetries) + 30;
}

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

/// <summary>Batch limits and orchestration shape (<c>Fanout:Batch</c>).</summary>
public sealed class BatchOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Fanout:Batch";

    /// <summary>The cap used when a batch does not give one.</summary>
    [Range(1, 100_000, ErrorMessage = "Fanout:Batch:DefaultMaxConcurrency must be between 1 and 100000.")]
    public int DefaultMaxConcurrency { get; set; } = 16;

    /// <summary>The largest cap a batch may ask for.</summary>
    [Range(1, 100_000, ErrorMessage = "Fanout:Batch:MaxConcurrencyLimit must be between 1 and 100000.")]
    public int MaxConcurrencyLimit { get; set; } = 1000;

    /// <summary>Most lines in one batch.</summary>
    [Range(1, 10_000_000, ErrorMessage = "Fanout:Batch:MaxLines must be between 1 and 10000000.")]
    public int MaxLines { get; set; } = 1_000_000;

    /// <summary>Most bytes in one batch.</summary>
    [Range(1, long.MaxValue, ErrorMessage = "Fanout:Batch:MaxBytes must be positive.")]
    public long MaxBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>Most bytes in one line.</summary>
    [Range(1, 64 * 1024 * 1024, ErrorMessage = "Fanout:Batch:MaxLineBytes must be between 1 and 67108864.")]
    public int MaxLineBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// How many more times a line whose answer is not valid against its <c>response_format</c> / <c>text.format</c> is
    /// asked again before it fails with <c>invalid_output</c>.
    /// </summary>
    [Range(0, 10, ErrorMessage = "Fanout:Batch:InvalidOutputRetries must be between 0 and 10.")]
    public int InvalidOutputRetries { get; set; } = 2;

    /// <summary>Lines per chunk: each chunk is one sub-orchestration with its own window, which bounds history size.</summary>
    [Range(1, 100_000, ErrorMessage = "Fanout:Batch:ChunkSize must be between 1 and 100000.")]
    public int ChunkSize { get; set; } = DefaultChunkSize;

    /// <summary>The default of <see cref="ChunkSize"/> (also of the orchestration inputs that carry it).</summary>
    public const int DefaultChunkSize = 500;

    /// <summary>
    /// Smallest window a chunk gets when the cap is split across chunks running side by side. Each chunk is one
    /// orchestration whose episodes run one at a time, so several chunks share the completion traffic; but many
    /// narrow windows cost more episodes per prompt (measured at N = 10,000, C = 200: 8 → 375 prompts/s in memory,
    /// 25.7 durable; 25 → 735 and 65).
    /// </summary>
    [Range(1, 1000, ErrorMessage = "Fanout:Batch:MinChunkWindow must be between 1 and 1000.")]
    public int MinChunkWindow { get; set; } = DefaultMinChunkWindow;

    /// <summary>The default of <see cref="MinChunkWindow"/> (also of the orchestration inputs that carry it).</summary>
    public const int DefaultMinChunkWindow = 25;
}
