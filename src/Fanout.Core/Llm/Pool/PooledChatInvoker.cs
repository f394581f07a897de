using System.Text.Json;
using Fanout.Core.Options;
using Fanout.Core.Storage;
using Microsoft.Extensions.Options;

namespace Fanout.Core.Llm.Pool;

/// <summary>
/// The LLM call path: a line's model (or the batch's deployment) names a pool of <c>Fanout:OpenAI:Pool</c> members, and
/// <see cref="PoolRouter"/> picks the member for each call. A member that answers 429, fails (5xx, timeout, refused
/// connection) or is misconfigured (401/403/404) is skipped at once for the next one; when every member is resting the
/// call waits for the first one back if that is within <see cref="OpenAIOptions.MaxInActivityWaitSeconds"/>, else it
/// goes back to the orchestrator as a 429 (a durable timer), as a single deployment's closed gate does. A call gives up
/// (and the orchestrator's durable retries take over) after <see cref="OpenAIOptions.MaxRetries"/> + members sends.
/// <para>A name that no pool has goes to <c>Fanout:OpenAI:Endpoint</c> as before (a pool of one, with the SDK's own
/// retries); members of a pool of several are called without SDK retries, since trying another member beats waiting.</para>
/// Every answer carries the calls made for it per member (<see cref="ChatCallResult.Calls"/>).
/// </summary>
public sealed class PooledChatInvoker : IChatCompletionInvoker
{
    private readonly Dictionary<string, (PoolRouter Router, PoolConnection[] Members)> _pools = new(StringComparer.OrdinalIgnoreCase);
    private readonly IChatCompletionInvoker? _fallback;
    private readonly TimeSpan _maxWait;
    private readonly int _maxRetries;
    private readonly TimeProvider _time;

    /// <summary>Creates the invoker from configuration: one client per member endpoint, the single endpoint for the rest.</summary>
    public PooledChatInvoker(IOptions<OpenAIOptions> options, IOptions<PoolOptions> pool, AzureOpenAIClientFactory factory, TimeProvider timeProvider)
        : this(Connect(options.Value, pool.Value, timeProvider), options.Value.Endpoint is null ? null : new AzureOpenAIChatInvoker(options, factory), options.Value, timeProvider)
    {
    }

    /// <summary>Creates the invoker over given connections (tests, or other transports).</summary>
    /// <param name="members">The pool members; those with the same model form a pool.</param>
    /// <param name="fallback">Calls names no pool has; null = such a line fails with <c>model_not_found</c>.</param>
    /// <param name="options">Retry and wait limits.</param>
    /// <param name="timeProvider">Clock of the router and its waits.</param>
    public PooledChatInvoker(IEnumerable<PoolConnection> members, IChatCompletionInvoker? fallback, OpenAIOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(options);
        _time = timeProvider ?? TimeProvider.System;
        _fallback = fallback;
        _maxWait = TimeSpan.FromSeconds(options.MaxInActivityWaitSeconds);
        _maxRetries = options.MaxRetries;
        // Batch members take no live calls: the upstream batch path reaches them through their files and batches.
        foreach (var group in members.Where(m => PoolTier.IsLive(m.Member.Tier)).GroupBy(m => m.Member.Model, StringComparer.OrdinalIgnoreCase))
        {
            var connections = group.ToArray();
            var router = new PoolRouter(
                connections.Select(c => c.Member).ToArray(),
                _time,
                i => connections[i].Gate?.ClosedUntil(connections[i].Member.Deployment));
            _pools[group.Key] = (router, connections);
        }
    }

    /// <summary>The router of the pool named <paramref name="model"/>, or null (diagnostics and tests).</summary>
    public PoolRouter? RouterOf(string model) => _pools.TryGetValue(model, out var pool) ? pool.Router : null;

    /// <inheritdoc />
    public Task<ChatCallResult> CompleteAsync(string deployment, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        CallAsync(deployment, body, static (invoker, d, b, ct) => invoker.CompleteAsync(d, b, ct), cancellationToken);

    /// <inheritdoc />
    public Task<ChatCallResult> EmbedAsync(string deployment, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        CallAsync(deployment, body, static (invoker, d, b, ct) => invoker.EmbedAsync(d, b, ct), cancellationToken);

    /// <inheritdoc />
    public Task<ChatCallResult> RespondAsync(string deployment, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        CallAsync(deployment, body, static (invoker, d, b, ct) => invoker.RespondAsync(d, b, ct), cancellationToken);

    private async Task<ChatCallResult> CallAsync(
        string deployment, ReadOnlyMemory<byte> body, Func<IChatCompletionInvoker, string, ReadOnlyMemory<byte>, CancellationToken, Task<ChatCallResult>> send, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        if (!_pools.TryGetValue(deployment, out var pool))
        {
            return await CallFallbackAsync(deployment, body, send, cancellationToken).ConfigureAwait(false);
        }

        var (router, members) = pool;
        var allowStandard = StandardSpend.Allowed;
        if (!allowStandard && !router.Has(PoolTier.Provisioned))
        {
            var message = $"The batch forbids standard spend (standardSpend=false) and the pool '{deployment}' has no provisioned member (Fanout:OpenAI:Pool:{{i}}:Tier).";
            return new ChatCallResult(400, JsonSerializer.SerializeToUtf8Bytes(new { error = new { code = "no_provisioned_capacity", message } }), null, null);
        }

        var calls = new List<MemberCall>();
        var budget = members.Length == 1 ? 1 : _maxRetries + members.Length;
        ChatCallResult? last = null;
        while (true)
        {
            if (!router.TryPick(out var index, out var nextAvailable, allowStandard))
            {
                var wait = nextAvailable - _time.GetUtcNow();
                if (wait <= _maxWait)
                {
                    await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(1), _time, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                // Every member rests for longer than a call may wait: a durable timer, like a closed gate's.
                return Deferred(deployment, wait, last, calls);
            }

            var member = members[index];
            ChatCallResult result;
            try
            {
                result = await send(member.Invoker, member.Member.Deployment, body, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                router.Release(index);
                throw;
            }

            router.Complete(index, result);
            if (!result.Deferred)
            {
                calls.Add(Count(member.Member, result));
            }

            last = result;
            if (result.IsSuccess || (!PoolRouter.IsMemberFailure(result.Status) && result.Status != 429) || (!result.Deferred && calls.Count >= budget))
            {
                return result with { Calls = calls };
            }
        }
    }

    private async Task<ChatCallResult> CallFallbackAsync(
        string deployment, ReadOnlyMemory<byte> body, Func<IChatCompletionInvoker, string, ReadOnlyMemory<byte>, CancellationToken, Task<ChatCallResult>> send, CancellationToken cancellationToken)
    {
        if (_fallback is null)
        {
            var message = $"No pool member serves the model '{deployment}' (Fanout:OpenAI:Pool:{{i}}:Model) and Fanout:OpenAI:Endpoint is not set.";
            return new ChatCallResult(404, JsonSerializer.SerializeToUtf8Bytes(new { error = new { code = "model_not_found", message } }), null, null);
        }

        var result = await send(_fallback, deployment, body, cancellationToken).ConfigureAwait(false);
        return result.Deferred ? result : result with { Calls = [Count(deployment, PoolTier.Standard, deployment, result)] };
    }

    private ChatCallResult Deferred(string model, TimeSpan wait, ChatCallResult? last, List<MemberCall> calls)
    {
        var message = $"Every member of the pool '{model}' is throttled or failing for another {wait.TotalMilliseconds:0} ms; the call was not sent.";
        return new ChatCallResult(
            429,
            JsonSerializer.SerializeToUtf8Bytes(new { error = new { code = "429", message } }),
            last?.RequestId,
            AzureOpenAIChatInvoker.HandBack(wait, _maxWait),
            Deferred: calls.Count == 0,
            Calls: calls);
    }

    private static MemberCall Count(PoolMember member, ChatCallResult result) => Count(member.Name, member.Tier, member.Model, result);

    private static MemberCall Count(string member, string tier, string model, ChatCallResult result)
    {
        if (!result.IsSuccess)
        {
            return new MemberCall(member, result.Status, Tier: tier, Model: model);
        }

        var (prompt, completion) = OutputLines.ReadUsage(result.Body.Span);
        return new MemberCall(member, result.Status, prompt, completion, tier, model);
    }

    private static IEnumerable<PoolConnection> Connect(OpenAIOptions options, PoolOptions pool, TimeProvider timeProvider)
    {
        var members = pool.Members;
        foreach (var member in members)
        {
            var single = members.Count(m => string.Equals(m.Model, member.Model, StringComparison.OrdinalIgnoreCase)) == 1;
            var memberOptions = new OpenAIOptions
            {
                Endpoint = member.Endpoint,
                ApiKey = member.ApiKey,
                ManagedIdentityClientId = options.ManagedIdentityClientId,
                TimeoutSeconds = options.TimeoutSeconds,
                MaxInActivityWaitSeconds = options.MaxInActivityWaitSeconds,
                ThrottleGateSpacingMs = options.ThrottleGateSpacingMs,
            };
            var gate = AzureOpenAIClientFactory.NewGate(memberOptions, timeProvider);

            // A pool of one keeps the SDK's retries (today's single deployment); a member of several has none.
            var clientOptions = AzureOpenAIClientFactory.CreateClientOptions(memberOptions, single ? options.MaxRetries : 0, gate, member.Name);
            var client = AzureOpenAIClientFactory.Create(memberOptions, clientOptions);
            yield return new PoolConnection(member, new AzureOpenAIChatInvoker(client, TimeSpan.FromSeconds(options.MaxInActivityWaitSeconds), member.Endpoint), gate);
        }
    }
}
