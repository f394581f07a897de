namespace Fanout.Client;

/// <summary>The query parameters of <c>POST /api/batches</c> (API.md); null or false leaves one out.</summary>
public sealed record BatchSubmitOptions
{
    /// <summary><c>maxConcurrency</c>: most calls in flight for this batch.</summary>
    public int? MaxConcurrency { get; init; }

    /// <summary><c>deployment</c>: for lines that name no model.</summary>
    public string? Deployment { get; init; }

    /// <summary><c>maxTotalTokens</c>: the batch's token budget.</summary>
    public long? MaxTotalTokens { get; init; }

    /// <summary><c>deadline</c>: an ISO 8601 UTC time or a duration such as <c>90m</c>.</summary>
    public string? Deadline { get; init; }

    /// <summary><c>cache=true</c>: answer lines from the response cache.</summary>
    public bool Cache { get; init; }

    /// <summary>The query string (with its <c>?</c>, empty when there is none), plus <c>dryRun=true</c> when asked.</summary>
    internal string Query(bool dryRun)
    {
        var query = new List<string>();
        if (Cache)
        {
            query.Add("cache=true");
        }

        if (Deadline is not null)
        {
            query.Add($"deadline={Uri.EscapeDataString(Deadline)}");
        }

        if (dryRun)
        {
            query.Add("dryRun=true");
        }

        if (MaxTotalTokens is { } budget)
        {
            query.Add(FormattableString.Invariant($"maxTotalTokens={budget}"));
        }

        if (MaxConcurrency is { } cap)
        {
            query.Add(FormattableString.Invariant($"maxConcurrency={cap}"));
        }

        if (Deployment is not null)
        {
            query.Add($"deployment={Uri.EscapeDataString(Deployment)}");
        }

        return query.Count == 0 ? string.Empty : "?" + string.Join('&', query);
    }
}
