using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Fanout.LocalDev;

/// <summary>What <see cref="AzuriteLauncher"/> started: the process, its record, the control connection and its output.</summary>
internal sealed record LaunchedAzurite(AzuriteRecord Record, AzuriteControl Control, Process Process, AzuriteOutput Output);

/// <summary>
/// Starts a new Azurite through <c>fanout-azurite.js</c> (written into the data folder from this assembly's resources)
/// with <c>node</c>, waits for its ready line and attaches to its control port; kills it if any of that fails.
/// </summary>
internal static partial class AzuriteLauncher
{
    public static async Task<LaunchedAzurite> StartAsync(
        string location, string azurite, int blobPort, int queuePort, int tablePort, AzuriteSettings settings, ILogger? logger, CancellationToken cancellationToken)
    {
        var packageDirectory = AzuriteLocator.PackageIn(azurite) ?? throw new AzuriteNotFoundException(
            $"Azurite is not installed: '{azurite}' holds neither the azurite package nor node_modules/azurite. Run 'npm ci' in " +
            $"a repository checkout (needs Node.js) or call {nameof(AzuriteInstaller)}.{nameof(AzuriteInstaller.EnsureInstalledAsync)} first.");

        var script = WriteScript(location);
        ProcessStartInfo startInfo = new(OperatingSystem.IsWindows() ? "node.exe" : "node")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = location,
        };
        string[] arguments =
        [
            script,
            "--azurite-package", packageDirectory,
            "--location", location,
            "--blobPort", Text(blobPort), "--queuePort", Text(queuePort), "--tablePort", Text(tablePort),
            "--orphanGraceMs", Text((int)settings.OrphanGrace.TotalMilliseconds),
            "--saveIntervalMs", Text((int)settings.SaveInterval.TotalMilliseconds),
        ];
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        AzuriteOutput output = new(logger);
        Process process = new() { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => output.Add(e.Data, isError: false);
        process.ErrorDataReceived += (_, e) => output.Add(e.Data, isError: true);
        if (!process.Start())
        {
            process.Dispose();
            throw new InvalidOperationException("Could not start node; is Node.js installed and on PATH?");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var controlPort = await output.WaitUntilReadyAsync(process, settings.StartTimeout, cancellationToken).ConfigureAwait(false);
            var record = new AzuriteRecord(process.Id, process.StartTime.ToUniversalTime(), blobPort, queuePort, tablePort, controlPort);
            var control = await AzuriteControl.TryAttachAsync(controlPort, AzuriteProcess.AttachTimeout, cancellationToken).ConfigureAwait(false)
                ?? throw new AzuriteStartException($"Azurite (pid {process.Id}) did not answer on its control port {controlPort}.\n{output}", portInUse: false);
            record.Write(location);
            if (logger is not null)
            {
                Log.Started(logger, process.Id, blobPort, queuePort, tablePort, location);
            }

            return new LaunchedAzurite(record, control, process, output);
        }
        catch
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }

            process.Dispose();
            throw;
        }
    }

    /// <summary>Writes the wrapper (an embedded resource, so a published host needs no source tree for it) into the data folder.</summary>
    private static string WriteScript(string location)
    {
        var path = Path.Combine(location, AzuriteProcess.ScriptName);
        using var resource = typeof(AzuriteLauncher).Assembly.GetManifestResourceStream(AzuriteProcess.ScriptName)
            ?? throw new InvalidOperationException($"The resource {AzuriteProcess.ScriptName} is missing from {typeof(AzuriteLauncher).Assembly.GetName().Name}.");
        using var reader = new StreamReader(resource);
        var text = reader.ReadToEnd();
        if (!File.Exists(path) || File.ReadAllText(path) != text)
        {
            File.WriteAllText(path + ".tmp", text);
            File.Move(path + ".tmp", path, overwrite: true);
        }

        return path;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Azurite started (pid {ProcessId}): blob {BlobPort}, queue {QueuePort}, table {TablePort}, data in {Location}")]
        public static partial void Started(ILogger logger, int processId, int blobPort, int queuePort, int tablePort, string location);
    }
}
