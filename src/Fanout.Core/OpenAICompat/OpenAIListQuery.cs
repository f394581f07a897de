using System.Globalization;
using Fanout.Core.Service;

namespace Fanout.Core.OpenAICompat;

/// <summary>The query of the list routes (<c>?limit=&amp;after=&amp;order=&amp;purpose=</c>), read from plain query arguments.</summary>
internal static class OpenAIListQuery
{
    /// <summary>
    /// <c>limit</c>: <paramref name="defaultLimit"/> when absent, else an integer from 1 to <paramref name="maxLimit"/>
    /// (a parameter given twice reads as its values joined by commas, and so is not one).
    /// </summary>
    public static ServiceResult<int> Limit(QueryArgs query, int defaultLimit, int maxLimit)
    {
        if (!query.Has("limit"))
        {
            return defaultLimit;
        }

        return int.TryParse(query.Joined("limit"), NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit >= 1 && limit <= maxLimit
            ? limit
            : ServiceError.InvalidParameter($"Query parameter 'limit' must be an integer from 1 to {maxLimit}.");
    }

    /// <summary><c>order</c>: true for <c>asc</c>, false for <c>desc</c> or absent.</summary>
    public static ServiceResult<bool> Ascending(QueryArgs query)
        => query.Joined("order") switch
        {
            "asc" => true,
            "" or "desc" => false,
            _ => ServiceError.InvalidParameter("Query parameter 'order' must be 'asc' or 'desc'."),
        };

    /// <summary>A text parameter, null when absent or empty.</summary>
    public static string? Text(QueryArgs query, string name) => query.Joined(name) is { Length: > 0 } value ? value : null;
}
