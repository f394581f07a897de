using System.Text;

namespace Fanout.IntegrationTests.Infrastructure;

/// <summary>
/// Watches which Azurite processes serve a data folder (Linux: by their command lines in /proc), sampling in the
/// background so that a test can assert there was never more than one.
/// </summary>
public sealed class AzuriteWatch : IAsyncDisposable
{
    private readonly string _dataDirectory;
    private readonly CancellationTokenSource _stop = new(); // not disposed: DisposeAsync may run twice
    private readonly Task _sampling;
    private readonly HashSet<int> _seen = [];

    public AzuriteWatch(string dataDirectory)
    {
        _dataDirectory = Path.GetFullPath(dataDirectory);
        _sampling = Task.Run(SampleAsync);
    }

    /// <summary>The most Azurite processes seen on the folder at one time.</summary>
    public int MaxAtOnce { get; private set; }

    /// <summary>Every Azurite process id seen on the folder.</summary>
    public IReadOnlyCollection<int> Seen
    {
        get
        {
            lock (_seen)
            {
                return [.. _seen];
            }
        }
    }

    /// <summary>The Azurite processes (fanout-azurite.js or azurite) whose command line names <paramref name="dataDirectory"/>.</summary>
    public static List<int> Processes(string dataDirectory)
    {
        var location = Path.GetFullPath(dataDirectory);
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var commandLine = Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(dir, "cmdline"))).Split('\0');
                if (commandLine.Any(a => a.Contains("azurite", StringComparison.Ordinal)) && commandLine.Contains(location))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
                // The process exited while we looked.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return found;
    }

    /// <summary>Waits until no Azurite serves the folder; false if one still does after <paramref name="timeout"/>.</summary>
    public static async Task<bool> WaitUntilNoneAsync(string dataDirectory, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Processes(dataDirectory).Count > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(100);
        }

        return true;
    }

    /// <summary>After a test: kills (by pid) any Azurite still serving the folder, then deletes the folder.</summary>
    public static async Task RemoveAsync(string dataDirectory)
    {
        foreach (var pid in Processes(dataDirectory))
        {
            try
            {
                using var leftover = System.Diagnostics.Process.GetProcessById(pid);
                leftover.Kill();
                await leftover.WaitForExitAsync();
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
        }

        try
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        await _sampling;
    }

    private async Task SampleAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var now = Processes(_dataDirectory);
            lock (_seen)
            {
                _seen.UnionWith(now);
            }

            MaxAtOnce = Math.Max(MaxAtOnce, now.Count);
            try
            {
                await Task.Delay(50, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
