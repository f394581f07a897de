namespace Fanout.LocalDev;

/// <summary>How the embedded Azurite behaves (bound from <c>Fanout:Host:Azurite</c> on the portable host).</summary>
public sealed class AzuriteSettings
{
    /// <summary>
    /// Gets or sets how long Azurite keeps running with no host: a host restarted within it adopts the same Azurite;
    /// after it, Azurite saves and exits, so it never outlives a killed host for long.
    /// </summary>
    public TimeSpan OrphanGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets the longest time between two saves of Azurite's databases (all of them from one consistent cut).
    /// A power loss loses at most this much of what was not flushed explicitly; a larger store saves less often
    /// (never more than about a fifth of the time is spent saving).
    /// </summary>
    public TimeSpan SaveInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Gets or sets where the azurite npm package is (<c>Fanout:Host:Azurite:Path</c>): the package folder, a node_modules
    /// folder holding it, or a folder holding <c>node_modules/azurite</c>. Unset: next to the app, then a repository checkout (see <see cref="AzuriteLocator"/>).
    /// </summary>
    public string? Path { get; set; }

    /// <summary>Gets or sets how long a starting Azurite may take to listen.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
