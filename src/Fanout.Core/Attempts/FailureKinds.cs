using System.Text.Json.Serialization;

namespace Fanout.Core.Attempts;

/// <summary>Failed attempts that were not 429s, by kind (<c>failures_by_kind</c> of a <c>usage_by_deployment</c> entry).</summary>
/// <param name="Http4xx">Answered with a 4xx other than 429 (401, 403, 404, 400, 408…).</param>
/// <param name="Http5xx">Answered with a 5xx.</param>
/// <param name="Timeout">No answer within <c>Fanout:OpenAI:TimeoutSeconds</c>.</param>
/// <param name="Connection">No answer: the connection was refused, reset or dropped.</param>
public sealed record FailureKinds(
    [property: JsonPropertyName("http_4xx")] long Http4xx = 0,
    [property: JsonPropertyName("http_5xx")] long Http5xx = 0,
    [property: JsonPropertyName("timeout")] long Timeout = 0,
    [property: JsonPropertyName("connection")] long Connection = 0)
{
    /// <summary>No failures.</summary>
    public static readonly FailureKinds None = new();

    /// <summary>Every failed attempt counted here.</summary>
    [JsonIgnore]
    public long Total => Http4xx + Http5xx + Timeout + Connection;

    /// <summary>Sum of two breakdowns (null counts as none).</summary>
    public FailureKinds Add(FailureKinds? o) => o is null ? this : new(Http4xx + o.Http4xx, Http5xx + o.Http5xx, Timeout + o.Timeout, Connection + o.Connection);

    /// <summary>One attempt of <paramref name="kind"/>.</summary>
    public static FailureKinds Of(AttemptKind kind) => kind switch
    {
        AttemptKind.Http4xx => new(Http4xx: 1),
        AttemptKind.Http5xx => new(Http5xx: 1),
        AttemptKind.Timeout => new(Timeout: 1),
        AttemptKind.Connection => new(Connection: 1),
        _ => None,
    };
}
