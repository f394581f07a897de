using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Fanout.Core.Api;
using Fanout.Core.Service;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fanout.Core.Webhooks;

/// <summary>
/// Starts the delivery of a batch's final event (<see cref="WebhookOrchestrator"/>, from the finalize activity, so the
/// start is as durable as the output) and makes each try (<see cref="DeliverWebhookActivity"/>): a signed POST.
/// </summary>
public sealed partial class BatchWebhooks(IOptions<WebhookOptions> options, TimeProvider time, ILogger<BatchWebhooks> logger) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>Whether any receiver is configured.</summary>
    public bool Enabled => options.Value.Endpoints.Count > 0;

    /// <summary>
    /// Starts the delivery of the event of batch <paramref name="batchId"/> ending with <paramref name="status"/> to the
    /// receivers that want it; nothing when there are none. Idempotent: a second start of the same event (a finalize
    /// that ran twice) finds the first delivery and leaves it alone.
    /// </summary>
    public async Task StartAsync(string batchId, string status, long endedAt, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (!Enabled || WebhookEventTypes.Of(status) is not { } type)
        {
            return;
        }

        var receivers = options.Value.Endpoints.Where(e => e.Wants(type)).Select(e => e.Index).ToList();
        if (receivers.Count == 0)
        {
            return;
        }

        var ev = WebhookEvent.For(batchId, type, endedAt);
        var id = WebhookOrchestrator.InstanceId(ev.Id);
        try
        {
            if (await client.GetInstanceAsync(id, cancellationToken).ConfigureAwait(false) is not null)
            {
                return;
            }

            await client.ScheduleNewOrchestrationInstanceAsync(
                nameof(WebhookOrchestrator), new WebhookDelivery(ev, receivers, options.Value.RetryDelays), new Microsoft.DurableTask.StartOrchestrationOptions(id), cancellationToken).ConfigureAwait(false);
            LogStarted(logger, batchId, ev.Id, type, receivers.Count);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Never fails the batch: its output is committed; only this call is lost (logged for the operator).
            LogStartFailed(logger, e, batchId, ev.Id);
        }
    }

    /// <summary>One signed POST of <paramref name="attempt"/>'s event to its receiver.</summary>
    public async Task<WebhookAttemptResult> DeliverAsync(WebhookAttempt attempt, DurableTaskClient? client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        if (options.Value.Endpoint(attempt.Receiver) is not { } receiver)
        {
            LogReceiverGone(logger, attempt.Event.Id, attempt.Receiver);
            return new WebhookAttemptResult(false, 0, GiveUp: true);
        }

        if (attempt.Attempt == 0 && client is not null)
        {
            await WaitForBatchEndAsync(client, attempt.Event.Data.Id, cancellationToken).ConfigureAwait(false);
        }

        var body = JsonSerializer.Serialize(attempt.Event, ServiceJson.Options);
        var timestamp = time.GetUtcNow();
        using var request = new HttpRequestMessage(HttpMethod.Post, receiver.Url)
        {
            Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.Add("webhook-id", attempt.Event.Id);
        request.Headers.Add("webhook-timestamp", timestamp.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", WebhookSigner.Sign(receiver.Secret, attempt.Event.Id, timestamp, body));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.Timeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var delivered = status is >= 200 and < 300;
            LogAttempt(logger, attempt.Event.Id, receiver.Index, attempt.Attempt + 1, status);
            return new WebhookAttemptResult(delivered, status);
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogNoAnswer(logger, attempt.Event.Id, receiver.Index, attempt.Attempt + 1, e.GetType().Name);
            return new WebhookAttemptResult(false, 0);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    /// <summary>
    /// The delivery is started by the finalize activity, a moment before the batch orchestration records its final
    /// status: the first try waits for that (briefly), so a receiver that GETs the batch at once sees it finished.
    /// </summary>
    private static async Task WaitForBatchEndAsync(DurableTaskClient client, string batchId, CancellationToken cancellationToken)
    {
        for (var i = 0; i < 100; i++)
        {
            var meta = await client.GetInstanceAsync(batchId, cancellationToken).ConfigureAwait(false);
            if (meta is null || BatchLookup.IsFinished(meta.RuntimeStatus))
            {
                return;
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {BatchId}: delivering event {EventId} ({Type}) to {Receivers} webhook receivers")]
    private static partial void LogStarted(ILogger logger, string batchId, string eventId, string type, int receivers);

    [LoggerMessage(Level = LogLevel.Error, Message = "Batch {BatchId}: the delivery of webhook event {EventId} could not be started")]
    private static partial void LogStartFailed(ILogger logger, Exception e, string batchId, string eventId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook event {EventId} to receiver {Receiver}, try {Attempt}: status {Status}")]
    private static partial void LogAttempt(ILogger logger, string eventId, int receiver, int attempt, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook event {EventId} to receiver {Receiver}, try {Attempt}: no answer ({Error})")]
    private static partial void LogNoAnswer(ILogger logger, string eventId, int receiver, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook event {EventId}: receiver {Receiver} is no longer configured; its delivery stops")]
    private static partial void LogReceiverGone(ILogger logger, string eventId, int receiver);
}
