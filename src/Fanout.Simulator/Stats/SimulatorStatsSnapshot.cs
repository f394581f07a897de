using System.Text.Json.Serialization;

namespace Fanout.Simulator.Stats;

/// <summary>The counters at one moment, as served by <c>GET /stats</c>.</summary>
/// <param name="Requests">Chat-completion requests received.</param>
/// <param name="Succeeded">Answered 200 (a stream counts once it was sent whole).</param>
/// <param name="RateLimited">429s sent: quota, burst window and injected 429s.</param>
/// <param name="Failed">5xx sent.</param>
/// <param name="Hung">Requests that hung on purpose.</param>
/// <param name="BadRequests">400s sent for bodies that are not a chat-completions request.</param>
/// <param name="Cancelled">Requests the client abandoned while they were being served (hung ones not included).</param>
/// <param name="InFlight">Requests being served now.</param>
/// <param name="PeakConcurrency">Most requests served at once since the start or the last reset.</param>
/// <param name="DistinctPrompts">Distinct prompt texts answered 200.</param>
/// <param name="DuplicatePrompts">200s for a prompt text that had already been answered 200: duplicate executions.</param>
/// <param name="TokensAdmitted">Tokens charged to the quota by admitted requests (prompt estimate + max_tokens).</param>
/// <param name="InFlightHistogram">Requests in flight sampled every 100 ms, oldest first, last samples only.</param>
public sealed record SimulatorStatsSnapshot(
    [property: JsonPropertyName("requests")] long Requests,
    [property: JsonPropertyName("succeeded")] long Succeeded,
    [property: JsonPropertyName("rate_limited")] long RateLimited,
    [property: JsonPropertyName("failed")] long Failed,
    [property: JsonPropertyName("hung")] long Hung,
    [property: JsonPropertyName("bad_requests")] long BadRequests,
    [property: JsonPropertyName("cancelled")] long Cancelled,
    [property: JsonPropertyName("in_flight")] int InFlight,
    [property: JsonPropertyName("peak_concurrency")] int PeakConcurrency,
    [property: JsonPropertyName("distinct_prompts")] long DistinctPrompts,
    [property: JsonPropertyName("duplicate_prompts")] long DuplicatePrompts,
    [property: JsonPropertyName("in_flight_histogram")] IReadOnlyList<InFlightSample> InFlightHistogram,
    [property: JsonPropertyName("tokens_admitted")] long TokensAdmitted = 0);

/// <summary>One sample of the in-flight gauge.</summary>
/// <param name="ElapsedMs">Milliseconds since the start or the last reset.</param>
/// <param name="InFlight">Requests in flight at the sample.</param>
/// <param name="Peak">Most requests in flight at once since the previous sample.</param>
public readonly record struct InFlightSample(
    [property: JsonPropertyName("t_ms")] long ElapsedMs,
    [property: JsonPropertyName("in_flight")] int InFlight,
    [property: JsonPropertyName("peak")] int Peak);

/// <summary>Source-generated JSON for the simulator's own documents.</summary>
[JsonSerializable(typeof(SimulatorStatsSnapshot))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, DeploymentStatsSnapshot>))]
internal sealed partial class SimulatorJsonContext : JsonSerializerContext;
