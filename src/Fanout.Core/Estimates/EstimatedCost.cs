namespace Fanout.Core.Estimates;

/// <summary>
/// Cost bounds: <see cref="Low"/> is the prompt tokens' cost alone (no output at all), <see cref="High"/> adds every
/// line's full output bound.
/// </summary>
public sealed record EstimatedCost(string Currency, decimal Low, decimal High);
