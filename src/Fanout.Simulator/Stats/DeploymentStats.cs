using System.Collections.Concurrent;
using System.Text.Json.Serialization;

namespace Fanout.Simulator.Stats;

/// <summary>Counters per deployment (<c>GET /stats/deployments</c>): who was asked, who answered, what each admitted.</summary>
public sealed class DeploymentStats
{
    private readonly ConcurrentDictionary<string, Counters> _counters = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Counts a request to <paramref name="deployment"/>.</summary>
    public void CountRequest(string deployment) => Interlocked.Increment(ref Of(deployment).Requests);

    /// <summary>Counts the quota charge of an admitted request.</summary>
    public void CountAdmitted(string deployment, long tokens) => Interlocked.Add(ref Of(deployment).TokensAdmitted, tokens);

    /// <summary>Counts a 200 with its tokens.</summary>
    public void CountSucceeded(string deployment, long tokens)
    {
        var c = Of(deployment);
        Interlocked.Increment(ref c.Succeeded);
        Interlocked.Add(ref c.Tokens, tokens);
    }

    /// <summary>Counts a 429.</summary>
    public void CountRateLimited(string deployment) => Interlocked.Increment(ref Of(deployment).RateLimited);

    /// <summary>Counts a 5xx or a dropped connection.</summary>
    public void CountFailed(string deployment) => Interlocked.Increment(ref Of(deployment).Failed);

    /// <summary>The counters now, by deployment name.</summary>
    public IReadOnlyDictionary<string, DeploymentStatsSnapshot> Snapshot()
        => _counters.ToDictionary(
            p => p.Key,
            p => new DeploymentStatsSnapshot(
                Interlocked.Read(ref p.Value.Requests), Interlocked.Read(ref p.Value.Succeeded), Interlocked.Read(ref p.Value.RateLimited),
                Interlocked.Read(ref p.Value.Failed), Interlocked.Read(ref p.Value.TokensAdmitted), Interlocked.Read(ref p.Value.Tokens)),
            StringComparer.OrdinalIgnoreCase);

    /// <summary>Forgets every counter.</summary>
    public void Reset() => _counters.Clear();

    private Counters Of(string deployment) => _counters.GetOrAdd(deployment, static _ => new Counters());

    private sealed class Counters
    {
        public long Requests;
        public long Succeeded;
        public long RateLimited;
        public long Failed;
        public long TokensAdmitted;
        public long Tokens;
    }
}

/// <summary>One deployment's counters.</summary>
/// <param name="Requests">Requests received.</param>
/// <param name="Succeeded">Answered 200.</param>
/// <param name="RateLimited">429s sent.</param>
/// <param name="Failed">5xx sent or connections dropped.</param>
/// <param name="TokensAdmitted">Quota charged (prompt estimate + max_tokens).</param>
/// <param name="Tokens">Prompt + completion tokens of its 200s.</param>
public sealed record DeploymentStatsSnapshot(
    [property: JsonPropertyName("requests")] long Requests,
    [property: JsonPropertyName("succeeded")] long Succeeded,
    [property: JsonPropertyName("rate_limited")] long RateLimited,
    [property: JsonPropertyName("failed")] long Failed,
    [property: JsonPropertyName("tokens_admitted")] long TokensAdmitted,
    [property: JsonPropertyName("tokens")] long Tokens);
