namespace Fanout.Core.Storage;

/// <summary>
/// Makes what was just written to storage survive a power loss before a batch is acknowledged. A real storage account
/// has nothing to do; the portable host's embedded Azurite saves its databases (one consistent cut) when asked.
/// </summary>
public interface IStorageFlush
{
    /// <summary>Returns once everything written so far is on disk.</summary>
    Task FlushAsync(CancellationToken cancellationToken);
}
