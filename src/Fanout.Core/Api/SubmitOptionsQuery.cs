using System.Text.Json;
using Fanout.Core.Service;

namespace Fanout.Core.Api;

/// <summary>Reads a <see cref="SubmitQuery"/> from the query, and the budget from a JSON form.</summary>
public static class SubmitOptionsQuery
{
    /// <summary>Query parameter that turns a submit into an estimate.</summary>
    public const string DryRun = "dryRun";

    /// <summary>Query parameter (and JSON field) of the batch's token budget.</summary>
    public const string MaxTotalTokens = "maxTotalTokens";

    /// <summary>Query parameter (and JSON field): <c>false</c> forbids calls to standard (pay-as-you-go) pool members.</summary>
    public const string StandardSpend = "standardSpend";

    /// <summary>Query parameter (and JSON field) of the batch's deadline.</summary>
    public const string Deadline = "deadline";
    /// <summary>Query parameter (and JSON field) that turns the response cache on or off for the batch.</summary>
    public const string Cache = "cache";

    /// <summary>Reads the query; the first wrong parameter is a 400 <c>invalid_parameter</c> naming it.</summary>
    public static ServiceResult<SubmitQuery> Read(QueryArgs query, SubmitRules rules)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(rules);
        if (!query.TryGetSingle("deployment", out var deployment) || (deployment is not null && !SubmitRules.IsValidDeployment(deployment)))
        {
            return ServiceError.InvalidParameter($"Query parameter 'deployment' must be {SubmitRules.DeploymentRule}.");
        }

        if (!ConcurrencyCap.TryRead(query, rules.MaxConcurrencyLimit, out var cap, out var capError))
        {
            return capError;
        }

        if (!query.TryGetBool(DryRun, out var dryRun))
        {
            return ServiceError.InvalidParameter("Query parameter 'dryRun' must be true or false.");
        }

        if (!query.TryGetInt64(MaxTotalTokens, 1, long.MaxValue, out var budget))
        {
            return ServiceError.InvalidParameter("Query parameter 'maxTotalTokens' must be a positive integer.");
        }

        if (!query.TryGetBool(StandardSpend, out var standardSpend))
        {
            return ServiceError.InvalidParameter("Query parameter 'standardSpend' must be true or false.");
        }

        if (!query.TryGetSingle(Deadline, out var deadline) || (deadline is not null && !Planning.BatchDeadline.TryParse(deadline, DateTimeOffset.UnixEpoch, out _)))
        {
            return ServiceError.InvalidParameter($"Query parameter 'deadline' must be {Planning.BatchDeadline.Rule}.");
        }

        if (!query.TryGetBool(Cache, out var cache))
        {
            return ServiceError.InvalidParameter("Query parameter 'cache' must be true or false.");
        }

        return new SubmitQuery(deployment, cap, dryRun ?? false, budget, standardSpend, deadline, cache);
    }

    /// <summary>Reads the JSON fields <c>standardSpend</c> and <c>deadline</c>; returns the error message when one is wrong.</summary>
    public static string? ReadJsonSpend(JsonElement root, ref bool? standardSpend, ref string? deadline)
    {
        if (root.TryGetProperty(StandardSpend, out var s) && s.ValueKind != JsonValueKind.Null)
        {
            if (s.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return "'standardSpend' must be true or false.";
            }

            standardSpend = s.GetBoolean();
        }

        if (root.TryGetProperty(Deadline, out var d) && d.ValueKind != JsonValueKind.Null)
        {
            if (d.ValueKind != JsonValueKind.String || !Planning.BatchDeadline.TryParse(d.GetString(), DateTimeOffset.UnixEpoch, out _))
            {
                return $"'deadline' must be {Planning.BatchDeadline.Rule}.";
            }

            deadline = d.GetString();
        }

        return null;
    }

    /// <summary>Reads the JSON field <c>maxTotalTokens</c>; returns the error message when it is not a positive integer.</summary>
    public static string? ReadJson(JsonElement root, ref long? budget)
    {
        if (!root.TryGetProperty(MaxTotalTokens, out var m) || m.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (m.ValueKind != JsonValueKind.Number || !m.TryGetInt64(out var v) || v < 1)
        {
            return "'maxTotalTokens' must be a positive integer.";
        }

        budget = v;
        return null;
    }

    /// <summary>Reads the JSON field <c>cache</c>; returns the error message when it is not a boolean.</summary>
    public static string? ReadCacheJson(JsonElement root, ref bool? cache)
    {
        if (!root.TryGetProperty(Cache, out var c) || c.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (c.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            return "'cache' must be true or false.";
        }

        cache = c.GetBoolean();
        return null;
    }
}
