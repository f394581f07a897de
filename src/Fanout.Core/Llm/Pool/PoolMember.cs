namespace Fanout.Core.Llm.Pool;

/// <summary>A validated pool member.</summary>
/// <param name="Key">Its configuration key, e.g. <c>Fanout:OpenAI:Pool:0</c>.</param>
/// <param name="Name">The name it is reported under in <c>usage_by_deployment</c>: the deployment, or <c>deployment@host</c> when two members share a deployment name.</param>
/// <param name="Endpoint">Its endpoint.</param>
/// <param name="Deployment">Its deployment at <paramref name="Endpoint"/>.</param>
/// <param name="ApiKey">Its key, or null for a token credential.</param>
/// <param name="Model">The pool it belongs to.</param>
/// <param name="Weight">Relative preference.</param>
/// <param name="TokensPerMinute">Quota hint, or null.</param>
/// <param name="RequestsPerMinute">Quota hint, or null.</param>
/// <param name="Tier">Its <see cref="PoolTier"/>: <c>provisioned</c>, <c>standard</c> or <c>batch</c>.</param>
public sealed record PoolMember(
    string Key, string Name, Uri Endpoint, string Deployment, string? ApiKey, string Model, double Weight = 1, long? TokensPerMinute = null, int? RequestsPerMinute = null,
    string Tier = PoolTier.Standard);
