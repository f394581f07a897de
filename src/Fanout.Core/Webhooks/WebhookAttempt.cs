namespace Fanout.Core.Webhooks;

/// <summary>Input of <see cref="DeliverWebhookActivity"/>: one try of one event to one receiver.</summary>
/// <param name="Event">The event.</param>
/// <param name="Receiver">The receiver's index.</param>
/// <param name="Attempt">0 for the first try.</param>
public sealed record WebhookAttempt(WebhookEvent Event, int Receiver, int Attempt);
