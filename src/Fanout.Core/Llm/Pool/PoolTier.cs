namespace Fanout.Core.Llm.Pool;

/// <summary>
/// The kinds of capacity a pool member is (<c>Fanout:OpenAI:Pool:{i}:Tier</c>): what it costs and when the router uses it.
/// </summary>
public static class PoolTier
{
    /// <summary>Capacity already paid for (PTU): used first, while it has quota; its lines cost 0.</summary>
    public const string Provisioned = "provisioned";

    /// <summary>Pay-as-you-go (the default): takes what the provisioned members cannot.</summary>
    public const string Standard = "standard";

    /// <summary>A Batch API deployment (Azure Global/Data Zone Batch, OpenAI Batch): never called live; about half price.</summary>
    public const string Batch = "batch";

    /// <summary>The tier named by <paramref name="text"/> (any case), or null when it names none.</summary>
    public static string? Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        Provisioned => Provisioned,
        Standard => Standard,
        Batch => Batch,
        _ => null,
    };

    /// <summary>Whether a member of <paramref name="tier"/> answers live calls (provisioned and standard do; batch does not).</summary>
    public static bool IsLive(string tier) => tier != Batch;
}
