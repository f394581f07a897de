using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;

namespace Fanout.Core.Webhooks;

/// <summary>
/// The body Fanout POSTs, in OpenAI's batch event shape:
/// <c>{"id": "evt_…", "object": "event", "type": "batch.completed", "created_at": …, "data": {"id": "&lt;batch id&gt;"}}</c>.
/// </summary>
/// <param name="Id">The event id, also the <c>webhook-id</c> of every attempt: derived from the batch and the type, so a delivery started twice is one event.</param>
/// <param name="Type">One of <see cref="WebhookEventTypes"/>.</param>
/// <param name="CreatedAt">When the batch reached its final status (Unix seconds).</param>
/// <param name="Data">The batch.</param>
public sealed record WebhookEvent([property: JsonPropertyOrder(-2)] string Id, string Type, long CreatedAt, WebhookEventData Data)
{
    /// <summary>Always "event".</summary>
    [JsonPropertyOrder(-1)]
    public string Object => "event";

    /// <summary>The event of batch <paramref name="batchId"/> reaching the final status of <paramref name="type"/>.</summary>
    public static WebhookEvent For(string batchId, string type, long createdAt)
    {
        ArgumentNullException.ThrowIfNull(batchId);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{batchId}\n{type}"));
        return new WebhookEvent("evt_" + Convert.ToHexStringLower(hash.AsSpan(0, 12)), type, createdAt, new WebhookEventData(batchId));
    }
}
