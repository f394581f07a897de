using Fanout.Core.Models;

namespace Fanout.Core.Estimates;

/// <summary>A line a submit would reject: its zero-based index, its custom_id (when readable) and the same error object as its output line.</summary>
public sealed record EstimateLineError(int Index, string? CustomId, ApiError Error);
