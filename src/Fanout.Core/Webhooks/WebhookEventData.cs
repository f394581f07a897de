namespace Fanout.Core.Webhooks;

/// <summary>The <c>data</c> of a batch event.</summary>
/// <param name="Id">The batch id.</param>
public sealed record WebhookEventData(string Id);
