namespace Fanout.Core.Estimates;

/// <summary>One way to run an estimated batch (<c>plans</c> of the estimate).</summary>
/// <param name="Name"><c>live</c> (every line live, at the quota) or <c>deadline</c> (the Batch API first, live only to meet the deadline).</param>
/// <param name="EstimatedCost">Its cost bounds; null when a model of the batch has no configured price.</param>
/// <param name="EstimatedSeconds">Its time: at the live quota, or at most the time left to the deadline; null when not known.</param>
public sealed record EstimatePlan(string Name, EstimatedCost? EstimatedCost, double? EstimatedSeconds);
