using Fanout.Core.Options;

namespace Fanout.Core.Llm;

/// <summary>The answer of one chat-completion call after the SDK's own retries.</summary>
/// <param name="Status">HTTP status; 0 when the call timed out or failed to connect.</param>
/// <param name="Body">The response body (or a synthetic error body).</param>
/// <param name="RequestId">The service's request id, when it answered.</param>
/// <param name="RetryAfter">
/// When to try again: the service-requested wait, or the time the throttle gate stays closed; a wait longer than
/// <see cref="OpenAIOptions.MaxInActivityWaitSeconds"/> comes back shortened by half of that (see
/// <see cref="AzureOpenAIChatInvoker.HandBack"/>).
/// </param>
/// <param name="Deferred">
/// Not sent: the deployment's <see cref="DeploymentThrottleGate"/> stays closed for longer than a call may wait, so
/// the result is a 429 with that wait (handed back as for a 429 from the service) as <see cref="RetryAfter"/>.
/// </param>
/// <param name="RemainingTokens">The answer's <c>x-ratelimit-remaining-tokens</c>, when it had one.</param>
/// <param name="RemainingRequests">The answer's <c>x-ratelimit-remaining-requests</c>, when it had one.</param>
/// <param name="Calls">The calls made for it, per pool member (<c>usage_by_deployment</c>); set by <see cref="Pool.PooledChatInvoker"/>.</param>
public sealed record ChatCallResult(
    int Status,
    ReadOnlyMemory<byte> Body,
    string? RequestId,
    TimeSpan? RetryAfter,
    bool Deferred = false,
    long? RemainingTokens = null,
    long? RemainingRequests = null,
    IReadOnlyList<Pool.MemberCall>? Calls = null)
{
    /// <summary>2xx.</summary>
    public bool IsSuccess => Status is >= 200 and < 300;

    /// <summary>Worth trying again later: throttled, timed out or a server error.</summary>
    public bool IsTransient => Status is 408 or 429 or >= 500 || Status == 0;
}
