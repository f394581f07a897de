namespace Fanout.Core.Webhooks;

/// <summary>
/// The webhook receivers (<c>Fanout:Webhooks:{i}:Url</c>, <c>:Secret</c>, <c>:Events</c>) and the delivery schedule
/// (<c>Fanout:Webhooks:RetryDelaysSeconds</c>, <c>Fanout:Webhooks:TimeoutSeconds</c>), read by <see cref="WebhookConfiguration"/>.
/// </summary>
public sealed class WebhookOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Fanout:Webhooks";

    /// <summary>
    /// The waits before each retry: the first within 10 s, the next within a further 60 s, then growing, about 27.6 h in
    /// all (Standard Webhooks senders retry for at least a day). A delivery is given up after the last.
    /// </summary>
    public static readonly IReadOnlyList<TimeSpan> DefaultRetryDelays =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(2), TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(10),
    ];

    /// <summary>Default time one attempt may take before it counts as failed.</summary>
    public const int DefaultTimeoutSeconds = 10;

    /// <summary>The receivers, in index order.</summary>
    public List<WebhookEndpoint> Endpoints { get; } = [];

    /// <summary>The waits before each retry (read from the key's comma-separated seconds).</summary>
    [Microsoft.Extensions.Configuration.ConfigurationKeyName("RetryDelaysSeconds")]
    public IReadOnlyList<TimeSpan> RetryDelays { get; set; } = DefaultRetryDelays;

    /// <summary>Time one attempt may take (read from the key's seconds).</summary>
    [Microsoft.Extensions.Configuration.ConfigurationKeyName("TimeoutSeconds")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(DefaultTimeoutSeconds);

    /// <summary>What is wrong with the configuration, each naming its key (reported at start).</summary>
    public List<string> Errors { get; } = [];

    /// <summary>The receiver configured as <c>{i}</c>, or null (it was removed since the delivery started).</summary>
    public WebhookEndpoint? Endpoint(int index) => Endpoints.FirstOrDefault(e => e.Index == index);
}
