using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Fanout.Core.Api;

/// <summary>The submit parameters of "Estimates, budgets, second tries" (API.md): <c>dryRun</c> and <c>maxTotalTokens</c>.</summary>
public static class SubmitOptionsQuery
{
    /// <summary>Query parameter that turns a submit into an estimate.</summary>
    public const string DryRun = "dryRun";

    /// <summary>Query parameter (and JSON field) of the batch's token budget.</summary>
    public const string MaxTotalTokens = "maxTotalTokens";

    /// <summary>Reads <c>dryRun</c> (true/false) and <c>maxTotalTokens</c> (a positive integer) from the query.</summary>
    public static (bool DryRun, long? MaxTotalTokens, IResult? Error) Read(IQueryCollection query)
    {
        var dryRun = false;
        if (query.TryGetValue(DryRun, out var d) && (d.Count != 1 || !bool.TryParse(d.ToString(), out dryRun)))
        {
            return (false, null, BatchApi.Error(StatusCodes.Status400BadRequest, "invalid_parameter", "Query parameter 'dryRun' must be true or false."));
        }

        long? budget = null;
        if (query.TryGetValue(MaxTotalTokens, out var m))
        {
            if (m.Count != 1 || !long.TryParse(m.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v < 1)
            {
                return (false, null, BatchApi.Error(StatusCodes.Status400BadRequest, "invalid_parameter", "Query parameter 'maxTotalTokens' must be a positive integer."));
            }

            budget = v;
        }

        return (dryRun, budget, null);
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
}
