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
    public void CountFailed(string deployment) => CountFailed(deployment, 500);

    /// <summary>Counts a failure answered with <paramref name="status"/> (a 4xx other than 429, or a 5xx), or a dropped connection (0).</summary>
    public void CountFailed(string deployment, int status)
    {
        var c = Of(deployment);
        Interlocked.Increment(ref c.Failed);
        Interlocked.Increment(ref status == 0 ? ref c.Refused : ref status < 500 ? ref c.Http4xx : ref c.Http5xx);
    }

    /// <summary>Counts a request that hung on purpose (the client's timeout ends it).</summary>
    public void CountHung(string deployment) => Interlocked.Increment(ref Of(deployment).Hung);

    /// <summary>The counters now, by deployment name.</summary>
    public IReadOnlyDictionary<string, DeploymentStatsSnapshot> Snapshot()
        => _counters.ToDictionary(
            p => p.Key,
            p => new DeploymentStatsSnapshot(
                Interlocked.Read(ref p.Value.Requests), Interlocked.Read(ref p.Value.Succeeded), Interlocked.Read(ref p.Value.RateLimited),
                Interlocked.Read(ref p.Value.Failed), Interlocked.Read(ref p.Value.TokensAdmitted), Interlocked.Read(ref p.Value.Tokens),
                Interlocked.Read(ref p.Value.Http4xx), Interlocked.Read(ref p.Value.Http5xx), Interlocked.Read(ref p.Value.Hung), Interlocked.Read(ref p.Value.Refused)),
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
        public long Http4xx;
        public long Http5xx;
        public long Hung;
        public long Refused;
    }
}

/// <summary>One deployment's counters.</summary>
/// <param name="Requests">Requests received.</param>
/// <param name="Succeeded">Answered 200.</param>
/// <param name="RateLimited">429s sent.</param>
/// <param name="Failed">Failures sent (4xx other than 429, 5xx) or connections dropped.</param>
/// <param name="TokensAdmitted">Quota charged (prompt estimate + max_tokens).</param>
/// <param name="Tokens">Prompt + completion tokens of its 200s.</param>
/// <param name="Http4xx">4xx failures sent (not 429s, not 400s for bad bodies).</param>
/// <param name="Http5xx">5xx sent.</param>
/// <param name="Hung">Requests that hung on purpose (the client timed out).</param>
/// <param name="Refused">Connections dropped unanswered.</param>
public sealed record DeploymentStatsSnapshot(
    [property: JsonPropertyName("requests")] long Requests,
    [property: JsonPropertyName("succeeded")] long Succeeded,
    [property: JsonPropertyName("rate_limited")] long RateLimited,
    [property: JsonPropertyName("failed")] long Failed,
    [property: JsonPropertyName("tokens_admitted")] long TokensAdmitted,
    [property: JsonPropertyName("tokens")] long Tokens,
    [property: JsonPropertyName("http_4xx")] long Http4xx = 0,
    [property: JsonPropertyName("http_5xx")] long Http5xx = 0,
    [property: JsonPropertyName("hung")] long Hung = 0,
    [property: JsonPropertyName("refused")] long Refused = 0);
