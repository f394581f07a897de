using Microsoft.Extensions.Logging;

namespace Fanout.LocalDev;

/// <summary>
/// Finds the Azurite npm package for the embedded storage, in this order:
/// <list type="number">
/// <item><c>Fanout:Host:Azurite:Path</c> (environment: <c>Fanout__Host__Azurite__Path</c>): the azurite package folder,
/// a node_modules folder holding it, or a folder whose <c>node_modules/azurite</c> it is;</item>
/// <item><c>node_modules/azurite</c> next to the app (after <c>npm install azurite</c> in the app's folder);</item>
/// <item>a repository checkout above the current directory or the app's folder, installed there with <c>npm ci</c>
/// when missing;</item>
/// </list>
/// else <see cref="AzuriteNotFoundException"/>, saying what to run.
/// </summary>
public static class AzuriteLocator
{
    /// <summary>The configuration key of an explicit Azurite location.</summary>
    public const string PathSetting = "Fanout:Host:Azurite:Path";

    /// <summary>The version the repository pins (package.json); what the error message tells a user to install.</summary>
    public const string PinnedVersion = "3.37.0";

    /// <summary>Whether <paramref name="directory"/> is an installed azurite package.</summary>
    public static bool IsPackage(string directory) => File.Exists(Path.Combine(directory, "dist", "src", "azurite.js"));

    /// <summary>
    /// The azurite package in <paramref name="directory"/>: the folder itself, its <c>node_modules/azurite</c>, or (for a
    /// node_modules folder) its <c>azurite</c>; null when none.
    /// </summary>
    public static string? PackageIn(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var full = Path.GetFullPath(directory);
        return new[] { full, Path.Combine(full, "node_modules", "azurite"), Path.Combine(full, "azurite") }.FirstOrDefault(IsPackage);
    }

    /// <summary>Finds (and in a repository checkout, installs) Azurite; returns its package folder.</summary>
    /// <param name="configuredPath">The value of <see cref="PathSetting"/>, if any.</param>
    /// <param name="logger">Logs an install; optional.</param>
    /// <param name="cancellationToken">Cancels an install.</param>
    public static async Task<string> LocateAsync(string? configuredPath, ILogger? logger, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(configuredPath))
        {
            return PackageIn(configuredPath) ?? throw new AzuriteNotFoundException(
                $"{PathSetting} is '{configuredPath}', but it holds no azurite npm package (itself, azurite/ or node_modules/azurite) " +
                $"(dist/src/azurite.js). Run 'npm install azurite@{PinnedVersion}' in that folder (needs Node.js).");
        }

        if (PackageIn(AppContext.BaseDirectory) is { } nextToApp)
        {
            return nextToApp;
        }

        if (RepoRoot.FindFromHere() is { } repoRoot)
        {
            await AzuriteInstaller.EnsureInstalledAsync(repoRoot, logger, cancellationToken).ConfigureAwait(false);
            return PackageIn(repoRoot) ?? throw new AzuriteNotFoundException($"'npm ci' in '{repoRoot}' did not install node_modules/azurite.");
        }

        throw new AzuriteNotFoundException(
            "No storage is configured and no Azurite was found for the embedded one. Either set Fanout:Storage:ConnectionString " +
            $"(or Fanout:Storage:BlobServiceUri), or install Azurite next to the app: 'npm install azurite@{PinnedVersion} --prefix " +
            $"\"{Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)}\"' (needs Node.js), or set {PathSetting} to a folder " +
            "holding node_modules/azurite.");
    }
}
