namespace Fanout.Core.Models;

/// <summary>
/// <c>lines_by_tier</c> of the batch object: how many lines each way of answering served. Issue 25 adds
/// <see cref="Cached"/> (lines answered from the response cache or a twin line, no call made); the pool's tiers
/// (provisioned, standard, batch) belong next to it.
/// </summary>
/// <param name="Cached">Lines answered from the response cache or a twin line.</param>
public sealed record LinesByTier(int Cached = 0);
