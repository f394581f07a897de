using Fanout.LocalDev;
using Xunit;

namespace Fanout.IntegrationTests.Infrastructure;

/// <summary>A private Azurite per test class (<c>IClassFixture&lt;AzuriteFixture&gt;</c>) in a temporary folder, stopped by process id.</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    AzuriteProcess? azurite;

    /// <summary>Gets the running Azurite process.</summary>
    public AzuriteProcess Azurite => azurite ?? throw new InvalidOperationException("Azurite has not started.");

    /// <summary>Gets the connection string with explicit blob, queue and table endpoints.</summary>
    public string ConnectionString => Azurite.ConnectionString;

    /// <summary>Gets the temporary folder Azurite keeps its data in; deleted on dispose.</summary>
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "fanout-azurite-" + Guid.NewGuid().ToString("N"));

    /// <summary>Returns a task hub name no other test uses: letters and digits, starting with a letter.</summary>
    public static string UniqueTaskHubName(string prefix = "Hub") => prefix + Guid.NewGuid().ToString("N")[..16];

    /// <summary>Returns a blob container name no other test uses.</summary>
    public static string UniqueContainerName(string prefix = "test") => $"{prefix}-{Guid.NewGuid():N}".ToLowerInvariant();

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        string repoRoot = RepoRoot.Find(AppContext.BaseDirectory)
            ?? throw new InvalidOperationException($"No Functions.sln above '{AppContext.BaseDirectory}'.");
        using CancellationTokenSource timeout = new(TimeSpan.FromMinutes(5));
        await AzuriteInstaller.EnsureInstalledAsync(repoRoot, logger: null, timeout.Token);
        azurite = await AzuriteProcess.StartAsync(DataDirectory, repoRoot, logger: null, timeout.Token);
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (azurite is not null)
        {
            await azurite.DisposeAsync();
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the OS temp cleaner gets it otherwise.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
