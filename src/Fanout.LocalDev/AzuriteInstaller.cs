using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Fanout.LocalDev;

/// <summary>Installs a repository checkout's npm tools (the pinned Azurite), for development from a source tree.</summary>
public static partial class AzuriteInstaller
{
    static readonly SemaphoreSlim InstallLock = new(1, 1);

    /// <summary>Gets a value indicating whether <c>node_modules/.bin/azurite</c> exists under <paramref name="repoRoot"/>.</summary>
    public static bool IsInstalled(string repoRoot) => File.Exists(GetExecutablePath(repoRoot));

    /// <summary>
    /// Installs the repo's npm tools (Azurite) when <c>node_modules/.bin/azurite</c> is missing:
    /// <c>npm ci</c> when package-lock.json exists, else <c>npm install</c>.
    /// </summary>
    public static async Task EnsureInstalledAsync(string repoRoot, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(repoRoot);
        if (IsInstalled(repoRoot))
        {
            return;
        }

        await InstallLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (IsInstalled(repoRoot))
            {
                return;
            }

            bool hasLock = File.Exists(Path.Combine(repoRoot, "package-lock.json"));
            string[] arguments = hasLock ? ["ci", "--no-audit", "--no-fund"] : ["install", "--no-audit", "--no-fund"];
            if (logger is not null)
            {
                Log.Installing(logger, string.Join(' ', arguments), repoRoot);
            }

            ProcessStartInfo startInfo = new(OperatingSystem.IsWindows() ? "npm.cmd" : "npm")
            {
                WorkingDirectory = repoRoot,
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (string argument in arguments)
            {
                startInfo.ArgumentList.Add(argument);
            }

            using Process npm = Process.Start(startInfo)
                ?? throw new InvalidOperationException("Could not start npm; is Node.js installed and on PATH?");
            Task<string> stdout = npm.StandardOutput.ReadToEndAsync(cancellationToken);
            Task<string> stderr = npm.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                await npm.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                npm.Kill(entireProcessTree: true);
                throw;
            }

            string text = await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false);
            if (npm.ExitCode != 0 || !IsInstalled(repoRoot))
            {
                throw new InvalidOperationException(
                    $"'npm {string.Join(' ', arguments)}' in '{repoRoot}' failed with exit code {npm.ExitCode}:{Environment.NewLine}{Tail(text, 16_000)}");
            }
        }
        finally
        {
            InstallLock.Release();
        }
    }

    static string GetExecutablePath(string repoRoot) =>
        Path.Combine(repoRoot, "node_modules", ".bin", OperatingSystem.IsWindows() ? "azurite.cmd" : "azurite");

    static string Tail(string text, int chars) => text.Length <= chars ? text : text[^chars..];

    static partial class Log
    {
        [LoggerMessage(7, LogLevel.Information, "Installing Azurite: npm {Arguments} in {RepoRoot}")]
        public static partial void Installing(ILogger logger, string arguments, string repoRoot);
    }
}
