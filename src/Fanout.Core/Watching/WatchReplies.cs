using Fanout.Core.Models;
using Fanout.Core.Service;

namespace Fanout.Core.Watching;

/// <summary>The list object of <c>GET /api/batches</c>.</summary>
public sealed record BatchList(IReadOnlyList<BatchObject> Data, bool HasMore)
{
    /// <summary>Always "list".</summary>
    public string Object => "list";

    /// <summary>The id of the first batch of the page.</summary>
    public string? FirstId => Data.Count > 0 ? Data[0].Id : null;

    /// <summary>The id of the last batch of the page.</summary>
    public string? LastId => Data.Count > 0 ? Data[^1].Id : null;
}

/// <summary>The results of a batch: the JSONL (or why a finished batch has none) and, for <c>partial=true</c>, whether it is the whole output.</summary>
/// <param name="Body">The JSONL, or the error of a finished batch without it (e.g. <c>output_not_found</c>), whose answer still carries <c>Fanout-Complete: true</c>.</param>
/// <param name="Complete">Null without <c>partial=true</c>; else whether the body is the whole output (<c>Fanout-Complete</c>).</param>
public sealed record BatchResults(ServiceResult<ContentBody> Body, bool? Complete);

/// <summary>The health check's answer.</summary>
public sealed record HealthReport(string Status, string Storage, string Durable)
{
    /// <summary>True when every dependency answered.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool Healthy => Status == "ok";

    /// <summary>The report of two probes.</summary>
    public static HealthReport Of(bool storage, bool durable)
        => new(storage && durable ? "ok" : "unhealthy", storage ? "ok" : "unreachable", durable ? "ok" : "unreachable");
}
