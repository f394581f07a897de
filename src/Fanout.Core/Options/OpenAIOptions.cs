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
