namespace Fanout.Core.Api;

/// <summary>The settings a submit's query may give (API.md): <c>deployment</c>, <c>maxConcurrency</c>, <c>dryRun</c>, <c>maxTotalTokens</c>.</summary>
/// <param name="Deployment">The deployment, or null for the default.</param>
/// <param name="MaxConcurrency">The cap, or null for the default.</param>
/// <param name="DryRun">True for an estimate: nothing stored, no model called.</param>
/// <param name="MaxTotalTokens">The token budget, or null for none.</param>
/// <param name="StandardSpend">False: the batch never calls standard (pay-as-you-go) pool members, only provisioned ones; null = allowed.</param>
/// <param name="Deadline">The batch's deadline as given (<see cref="Planning.BatchDeadline"/>), or null for none.</param>
/// <param name="Cache">Use the response cache (<c>cache</c>); null for the host's default <c>Fanout:Cache:Default</c>.</param>
public sealed record SubmitQuery(string? Deployment = null, int? MaxConcurrency = null, bool DryRun = false, long? MaxTotalTokens = null, bool? StandardSpend = null, string? Deadline = null, bool? Cache = null);
