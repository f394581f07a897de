using System.ClientModel.Primitives;
using System.Collections.Concurrent;

namespace Fanout.Core.Llm;

/// <summary>
/// A per-deployment gate shared by every request of one client (add it per try, after the retry policy): when a call to
/// a deployment is answered 429 with a Retry-After, every later call from this process to that deployment holds off
/// until then instead of collecting its own 429. The SDK's retry policy retries each request on its own; this is what
/// coordinates concurrent requests.
/// <list type="bullet">
/// <item>Before sending: a closed gate that opens within <c>maxWait</c> is waited for; one that opens later is not
/// waited for and the service is not called: <see cref="ThrottleGateClosedException"/> carries the remaining wait, which
/// <see cref="AzureOpenAIChatInvoker"/> returns as a 429 so that it becomes a durable timer.</item>
/// <item>While the quota is short, calls leave one <c>spacing</c> apart instead of all at once, so that the first 429
/// closes the gate before the rest are sent: those released by an opening, every call for a second after an opening
/// (durable timers due at the opening bring calls in a burst), and calls sent while the last
/// <c>x-ratelimit-remaining-tokens</c>, less an estimate of what the calls sent since cost, leaves less than one call.
/// Otherwise calls go at once. Spacing never turns into a handed-back wait.</item>
/// <item>After a 429 with <c>retry-after-ms</c>, <c>x-ms-retry-after-ms</c> or <c>Retry-After</c>: the gate closes until
/// now + that wait, or stays closed until its later deadline.</item>
/// </list>
/// Time comes from the injected <see cref="TimeProvider"/>; the state lives in this instance (one per client).
/// </summary>
public sealed class DeploymentThrottleGate : PipelinePolicy
{
    /// <summary>The default gap between calls while the quota is short.</summary>
    public static readonly TimeSpan DefaultSpacing = TimeSpan.FromMilliseconds(5);

    private readonly ConcurrentDictionary<string, DeploymentGate> _gates = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeSpan _maxWait;
    private readonly TimeSpan _spacing;
    private readonly TimeProvider _time;

    /// <summary>Creates a gate.</summary>
    /// <param name="maxWait">The longest wait held inside a call; a gate closed for longer is handed back.</param>
    /// <param name="timeProvider">Clock and timers; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="spacing">Gap between calls while the quota is short; <see cref="DefaultSpacing"/> when null, zero for none.</param>
    public DeploymentThrottleGate(TimeSpan maxWait, TimeProvider? timeProvider = null, TimeSpan? spacing = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWait, TimeSpan.Zero);
        _maxWait = maxWait;
        _spacing = spacing ?? DefaultSpacing;
        ArgumentOutOfRangeException.ThrowIfLessThan(_spacing, TimeSpan.Zero, nameof(spacing));
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The deployment named by an Azure OpenAI request URI (<c>…/deployments/{name}/…</c>), or null.</summary>
    public static string? DeploymentOf(Uri? uri)
    {
        if (uri is null || !uri.IsAbsoluteUri)
        {
            return null;
        }

        var path = uri.AbsolutePath.AsSpan();
        const string marker = "/deployments/";
        var at = path.IndexOf(marker, StringComparison.OrdinalIgnoreCase);
        if (at < 0)
        {
            return null;
        }

        var rest = path[(at + marker.Length)..];
        var end = rest.IndexOf('/');
        var name = end < 0 ? rest : rest[..end];
        return name.IsEmpty ? null : Uri.UnescapeDataString(name.ToString());
    }

    /// <summary>When the gate of <paramref name="deployment"/> opens; null when it is open.</summary>
    public DateTimeOffset? ClosedUntil(string deployment)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        if (!_gates.TryGetValue(deployment, out var gate))
        {
            return null;
        }

        var openAt = gate.OpenAt;
        return openAt > _time.GetUtcNow() ? openAt : null;
    }

    /// <summary>Closes the gate of <paramref name="deployment"/> until <paramref name="until"/>, or leaves a later deadline in place.</summary>
    public void CloseUntil(string deployment, DateTimeOffset until)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        _gates.GetOrAdd(deployment, static _ => new DeploymentGate()).CloseUntil(until);
    }

    /// <inheritdoc />
    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        ArgumentNullException.ThrowIfNull(message);
        var deployment = DeploymentOf(message.Request.Uri);
        if (deployment is null)
        {
            ProcessNext(message, pipeline, currentIndex);
            return;
        }

        var gate = _gates.GetOrAdd(deployment, static _ => new DeploymentGate());
        var ticket = EnterAsync(gate, deployment, message.CancellationToken).AsTask().GetAwaiter().GetResult();
        ProcessNext(message, pipeline, currentIndex);
        gate.Observe(ticket, message.Response, _time.GetUtcNow());
    }

    /// <inheritdoc />
    public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        ArgumentNullException.ThrowIfNull(message);
        var deployment = DeploymentOf(message.Request.Uri);
        if (deployment is null)
        {
            await ProcessNextAsync(message, pipeline, currentIndex).ConfigureAwait(false);
            return;
        }

        var gate = _gates.GetOrAdd(deployment, static _ => new DeploymentGate());
        var ticket = await EnterAsync(gate, deployment, message.CancellationToken).ConfigureAwait(false);
        await ProcessNextAsync(message, pipeline, currentIndex).ConfigureAwait(false);
        gate.Observe(ticket, message.Response, _time.GetUtcNow());
    }

    /// <summary>
    /// Returns when a call may be sent (with its place in the order of calls sent): at once when the gate is open and
    /// nothing calls for spacing, else at this call's turn.
    /// </summary>
    /// <exception cref="ThrottleGateClosedException">The call would have to wait longer than the in-call limit.</exception>
    private async ValueTask<long> EnterAsync(DeploymentGate gate, string deployment, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + _maxWait;
        var queued = false;
        while (true)
        {
            var now = _time.GetUtcNow();
            if (queued && gate.TryGoAtTurn(now, out var ticket))
            {
                // Our turn, and no 429 has closed the gate again since we were given it.
                return ticket;
            }

            var turn = gate.Reserve(now, _spacing, deadline, out var opensAt, out ticket);
            if (turn is null)
            {
                throw new ThrottleGateClosedException(deployment, opensAt - now);
            }

            if (turn.Value <= now)
            {
                return ticket;
            }

            queued = true;
            await Task.Delay(turn.Value - now, _time, cancellationToken).ConfigureAwait(false);
        }
    }
}
