namespace Fanout.Core.Webhooks;

/// <summary>What one try came to.</summary>
/// <param name="Delivered">The receiver answered 2xx.</param>
/// <param name="Status">Its HTTP status; 0 when it did not answer (timeout, refused).</param>
/// <param name="GiveUp">Do not try again: the receiver is no longer configured.</param>
public sealed record WebhookAttemptResult(bool Delivered, int Status, bool GiveUp = false);
