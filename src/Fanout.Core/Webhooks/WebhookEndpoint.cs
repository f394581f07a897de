namespace Fanout.Core.Webhooks;

/// <summary>One receiver (<c>Fanout:Webhooks:{i}</c>).</summary>
/// <param name="Index">Its <c>{i}</c>: deliveries name the receiver by it, so no URL or secret goes into durable history.</param>
/// <param name="Url">Where the events are POSTed.</param>
/// <param name="Secret">The Standard Webhooks signing secret, <c>whsec_</c> + base64.</param>
/// <param name="Events">The event types it gets (<c>:Events</c>, a list or comma-separated); null = all.</param>
public sealed record WebhookEndpoint(int Index, Uri Url, string Secret, IReadOnlySet<string>? Events)
{
    /// <summary>Whether it wants events of <paramref name="type"/>.</summary>
    public bool Wants(string type) => Events is null || Events.Contains(type);
}
