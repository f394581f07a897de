using System.ComponentModel.DataAnnotations;

namespace Fanout.Simulator.Options;

/// <summary>Behaviour of the simulated chat-completions service (<c>Fanout:Simulator</c>). Read on every request, so tests may change it at runtime.</summary>
public sealed class SimulatorOptions : IValidatableObject
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Fanout:Simulator";

    /// <summary>Fixed latency of every answered request, in milliseconds.</summary>
    [Range(0, int.MaxValue, ErrorMessage = "Fanout:Simulator:LatencyMs must not be negative.")]
    public int LatencyMs { get; set; }

    /// <summary>Standard deviation of a normally distributed latency added to <see cref="LatencyMs"/> (the total never goes below zero).</summary>
    [Range(0, int.MaxValue, ErrorMessage = "Fanout:Simulator:LatencyJitterMs must not be negative.")]
    public int LatencyJitterMs { get; set; }

    /// <summary>Extra latency per completion token, in milliseconds; in a stream it is spent between chunks.</summary>
    [Range(0.0, double.MaxValue, ErrorMessage = "Fanout:Simulator:LatencyPerOutputTokenMs must not be negative.")]
    public double LatencyPerOutputTokenMs { get; set; }

    /// <summary>Fraction of admitted requests answered with <see cref="FailureStatusCode"/>.</summary>
    [Range(0.0, 1.0, ErrorMessage = "Fanout:Simulator:FailureRate must be between 0 and 1.")]
    public double FailureRate { get; set; }

    /// <summary>Status of the failures injected by <see cref="FailureRate"/>: 429 (with Retry-After), another 4xx (401, 403, 404…) or a 5xx.</summary>
    public int FailureStatusCode { get; set; } = 500;

    /// <summary>
    /// Body of the failures injected by <see cref="FailureRate"/> (not 429s), sent as it is instead of OpenAI's error
    /// shape: e.g. <c>{"detail": "Missing or incorrect API Key"}</c> or plain text. Null = OpenAI's shape.
    /// </summary>
    public string? FailureBody { get; set; }

    /// <summary>Retry-After (as <c>retry-after-ms</c> and whole-second <c>Retry-After</c>) of an injected 429.</summary>
    [Range(0, int.MaxValue, ErrorMessage = "Fanout:Simulator:FailureRetryAfterMs must not be negative.")]
    public int FailureRetryAfterMs { get; set; } = 1000;

    /// <summary>Fraction of admitted requests answered with 503.</summary>
    [Range(0.0, 1.0, ErrorMessage = "Fanout:Simulator:Http503Rate must be between 0 and 1.")]
    public double Http503Rate { get; set; }

    /// <summary>Fraction of admitted requests that never answer: they hang until the client disconnects or the server stops.</summary>
    [Range(0.0, 1.0, ErrorMessage = "Fanout:Simulator:HangRate must be between 0 and 1.")]
    public double HangRate { get; set; }

    /// <summary>
    /// Fraction of answers to requests that ask for JSON (<c>response_format</c> / <c>text.format</c> of type
    /// <c>json_schema</c> or <c>json_object</c>) that are not valid against it: cut short, of the wrong type, or
    /// missing a required property. The rest are valid against the schema.
    /// </summary>
    [Range(0.0, 1.0, ErrorMessage = "Fanout:Simulator:InvalidOutputRate must be between 0 and 1.")]
    public double InvalidOutputRate { get; set; }

    /// <summary>Fraction of answers to requests that ask for JSON that are refusals (<c>message.refusal</c> / a <c>refusal</c> content item).</summary>
    [Range(0.0, 1.0, ErrorMessage = "Fanout:Simulator:RefusalRate must be between 0 and 1.")]
    public double RefusalRate { get; set; }

    /// <summary>Requests admitted per deployment in any sliding 60-second window; 0 = unlimited.</summary>
    [Range(0, int.MaxValue, ErrorMessage = "Fanout:Simulator:RequestsPerMinute must not be negative.")]
    public int RequestsPerMinute { get; set; }

    /// <summary>Tokens admitted per deployment in any sliding 60-second window (prompt estimate + max tokens); 0 = unlimited.</summary>
    [Range(0, long.MaxValue, ErrorMessage = "Fanout:Simulator:TokensPerMinute must not be negative.")]
    public long TokensPerMinute { get; set; }

    /// <summary>
    /// Completion tokens charged to the token quota when a request sets neither <c>max_tokens</c> nor <c>max_completion_tokens</c>.
    /// 16 is the OpenAI API's historical <c>max_tokens</c> default.
    /// </summary>
    [Range(0, int.MaxValue, ErrorMessage = "Fanout:Simulator:DefaultMaxTokens must not be negative.")]
    public int DefaultMaxTokens { get; set; } = 16;

    /// <summary>Start of a window, in seconds after the server started (or the stats were last reset), in which every request gets 429.</summary>
    [Range(0.0, double.MaxValue, ErrorMessage = "Fanout:Simulator:Burst429StartSeconds must not be negative.")]
    public double Burst429StartSeconds { get; set; }

    /// <summary>Length of the all-429 window in seconds; 0 = no such window.</summary>
    [Range(0.0, double.MaxValue, ErrorMessage = "Fanout:Simulator:Burst429DurationSeconds must not be negative.")]
    public double Burst429DurationSeconds { get; set; }

    /// <summary>
    /// Seed of fault selection. With a seed, whether a request fails depends only on the seed, its prompt and how many times
    /// that prompt was tried before, so a run is reproducible whatever the arrival order. Absent = random.
    /// </summary>
    public int? Seed { get; set; }

    /// <summary>
    /// When true, an answer's <c>created</c> timestamp and request id depend only on the prompt, so two runs of the same
    /// batch produce byte-identical output (crash-resume tests). Default false: real time and a fresh id per request.
    /// </summary>
    public bool DeterministicResponses { get; set; }

    /// <summary>
    /// Length of the quota's sliding window in seconds (Azure: 60). A shorter window admits the per-minute limits scaled
    /// down to it, so tests and benchmarks can reach steady-state throttling in seconds instead of minutes.
    /// </summary>
    [Range(1, 60, ErrorMessage = "Fanout:Simulator:QuotaWindowSeconds must be between 1 and 60.")]
    public int QuotaWindowSeconds { get; set; } = 60;

    /// <summary>
    /// Deployments with settings of their own (<c>Fanout:Simulator:Deployments:{name}:TokensPerMinute</c>, …). Every
    /// deployment name has its own quota window anyway; none need be listed (the embedded default serves one).
    /// </summary>
    public Dictionary<string, SimulatorDeploymentOptions> Deployments { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The settings of <paramref name="deployment"/>, or null when it has none of its own.</summary>
    public SimulatorDeploymentOptions? DeploymentOptions(string deployment)
        => Deployments.Count > 0 && Deployments.TryGetValue(deployment, out var d) ? d : null;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, deployment) in Deployments)
        {
            var results = new List<ValidationResult>();
            if (deployment is not null && !Validator.TryValidateObject(deployment, new ValidationContext(deployment), results, validateAllProperties: true))
            {
                foreach (var result in results)
                {
                    yield return new ValidationResult(result.ErrorMessage?.Replace("{name}", name, StringComparison.Ordinal), [nameof(Deployments)]);
                }
            }
        }

        if (FailureStatusCode is not (>= 401 and <= 499 or >= 500 and <= 599))
        {
            yield return new ValidationResult(
                "Fanout:Simulator:FailureStatusCode must be 429, another 4xx from 401 (400 means a bad body) or a 5xx status.", [nameof(FailureStatusCode)]);
        }

        if (InvalidOutputRate + RefusalRate > 1.0 + 1e-9)
        {
            yield return new ValidationResult(
                "Fanout:Simulator:InvalidOutputRate + RefusalRate must not exceed 1.", [nameof(InvalidOutputRate), nameof(RefusalRate)]);
        }

        if (FailureRate + Http503Rate + HangRate > 1.0 + 1e-9)
        {
            yield return new ValidationResult(
                "Fanout:Simulator:FailureRate + Http503Rate + HangRate must not exceed 1.",
                [nameof(FailureRate), nameof(Http503Rate), nameof(HangRate)]);
        }
    }

    /// <summary>Throws <see cref="ValidationException"/> naming every invalid setting.</summary>
    public void EnsureValid()
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true))
        {
            throw new ValidationException(string.Join(" ", results.Select(r => r.ErrorMessage)));
        }
    }
}
