namespace Fanout.Core.Webhooks;

/// <summary>
/// Input of <see cref="WebhookOrchestrator"/>: one event to deliver to some receivers, and the waits between tries.
/// Small and free of secrets: receivers are named by their index, the body is rebuilt from the event by each try.
/// </summary>
/// <param name="Event">The event.</param>
/// <param name="Receivers">The indexes (<c>Fanout:Webhooks:{i}</c>) of the receivers that want it.</param>
/// <param name="RetryDelays">The waits before each retry.</param>
public sealed record WebhookDelivery(WebhookEvent Event, IReadOnlyList<int> Receivers, IReadOnlyList<TimeSpan> RetryDelays);

/// <summary>Input of <see cref="DeliverWebhookActivity"/>: one try of one event to one receiver.</summary>
/// <param name="Event">The event.</param>
/// <param name="Receiver">The receiver's index.</param>
/// <param name="Attempt">0 for the first try.</param>
public sealed record WebhookAttempt(WebhookEvent Event, int Receiver, int Attempt);

/// <summary>What one try came to.</summary>
/// <param name="Delivered">The receiver answered 2xx.</param>
/// <param name="Status">Its HTTP status; 0 when it did not answer (timeout, refused).</param>
/// <param name="GiveUp">Do not try again: the receiver is no longer configured.</param>
public sealed record WebhookAttemptResult(bool Delivered, int Status, bool GiveUp = false);
