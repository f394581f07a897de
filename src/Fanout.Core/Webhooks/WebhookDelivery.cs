namespace Fanout.Core.Webhooks;

/// <summary>
/// Input of <see cref="WebhookOrchestrator"/>: one event to deliver to some receivers, and the waits between tries.
/// Small and free of secrets: receivers are named by their index, the body is rebuilt from the event by each try.
/// </summary>
/// <param name="Event">The event.</param>
/// <param name="Receivers">The indexes (<c>Fanout:Webhooks:{i}</c>) of the receivers that want it.</param>
/// <param name="RetryDelays">The waits before each retry.</param>
public sealed record WebhookDelivery(WebhookEvent Event, IReadOnlyList<int> Receivers, IReadOnlyList<TimeSpan> RetryDelays);
