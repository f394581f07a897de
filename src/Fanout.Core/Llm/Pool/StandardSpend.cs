namespace Fanout.Core.Llm.Pool;

/// <summary>
/// Whether the calls of the current flow may go to <see cref="PoolTier.Standard"/> (pay-as-you-go) members: a batch
/// submitted with <c>standardSpend=false</c> runs its lines with it forbidden, so they wait for provisioned quota instead
/// of spilling over. Flows with the async context, from the prompt activity down to <see cref="PooledChatInvoker"/>.
/// </summary>
public static class StandardSpend
{
    private static readonly AsyncLocal<bool> Forbidden = new();

    /// <summary>Whether standard members may be called now (true unless a batch forbade it).</summary>
    public static bool Allowed => !Forbidden.Value;

    /// <summary>Sets whether standard members may be called for the rest of the current async flow.</summary>
    public static void Set(bool allowed) => Forbidden.Value = !allowed;
}
