using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Fanout.Core.Service;

namespace Fanout.Core.Api;

/// <summary>
/// The one parser and message of a batch's cap on calls in flight: <c>maxConcurrency</c> in the query and the JSON
/// form, <c>max_concurrency</c> on the OpenAI surface. A wrong cap is a 400 whose message is
/// <c>'FIELD' must be an integer from 1 to LIMIT.</c> (the query's says "Query parameter" first, as all of its do).
/// </summary>
public static class ConcurrencyCap
{
    /// <summary>The native API's name of the cap (query parameter and JSON field).</summary>
    public const string Field = "maxConcurrency";

    /// <summary>The OpenAI surface's name of the cap (extra body field of <c>POST /v1/batches</c>).</summary>
    public const string OpenAIField = "max_concurrency";

    /// <summary>The rule's wording: "an integer from 1 to <paramref name="limit"/>".</summary>
    public static string Rule(int limit) => $"an integer from 1 to {limit}";

    /// <summary>The message of a wrong cap in field <paramref name="field"/>.</summary>
    public static string Message(string field, int limit) => $"'{field}' must be {Rule(limit)}.";

    /// <summary>True for a cap within 1..<paramref name="limit"/>.</summary>
    public static bool IsValid(long value, int limit) => value >= 1 && value <= limit;

    /// <summary>
    /// Reads the cap from JSON field <paramref name="field"/> of <paramref name="root"/>: absent or null is no cap
    /// (<paramref name="cap"/> null); a number within 1..<paramref name="limit"/> is the cap; anything else is the
    /// 400 <c>invalid_body</c> naming the field, returned as <paramref name="error"/>.
    /// </summary>
    public static bool TryRead(JsonElement root, string field, int limit, out int? cap, [NotNullWhen(false)] out ServiceError? error)
    {
        cap = null;
        error = null;
        if (!root.TryGetProperty(field, out var m) || m.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (m.ValueKind == JsonValueKind.Number && m.TryGetInt32(out var v) && IsValid(v, limit))
        {
            cap = v;
            return true;
        }

        error = ServiceError.InvalidBody(Message(field, limit));
        return false;
    }

    /// <summary>
    /// Reads the cap from query parameter <see cref="Field"/>: absent is no cap (<paramref name="cap"/> null); one
    /// decimal integer within 1..<paramref name="limit"/> is the cap; anything else (also a repeated parameter) is the
    /// 400 <c>invalid_parameter</c> naming it, returned as <paramref name="error"/>.
    /// </summary>
    public static bool TryRead(QueryArgs query, int limit, out int? cap, [NotNullWhen(false)] out ServiceError? error)
    {
        ArgumentNullException.ThrowIfNull(query);
        cap = null;
        error = null;
        if (query.TryGetInt64(Field, 1, limit, out var value))
        {
            cap = (int?)value;
            return true;
        }

        error = ServiceError.InvalidParameter("Query parameter " + Message(Field, limit));
        return false;
    }
}
