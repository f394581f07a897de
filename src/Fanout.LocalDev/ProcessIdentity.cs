using System.Diagnostics;
using System.Text;

namespace Fanout.LocalDev;

/// <summary>What a recorded process id points at now: pids get reused, so a pid alone proves nothing.</summary>
public enum RecordedProcessState
{
    /// <summary>No process has that id.</summary>
    Gone,

    /// <summary>A process has that id, but it is not the one recorded (another start time or command line).</summary>
    Foreign,

    /// <summary>The recorded process is alive.</summary>
    Alive,
}

/// <summary>Checks and stops processes by id, after making sure the id still names the process we recorded.</summary>
public static class ProcessIdentity
{
    static readonly TimeSpan StartTimeTolerance = TimeSpan.FromSeconds(2);

    /// <summary>Gets the start time of <paramref name="processId"/> (UTC), or null when no such process runs.</summary>
    public static DateTime? StartTimeUtc(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return process.HasExited ? null : process.StartTime.ToUniversalTime();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether <paramref name="processId"/> is the process that started at <paramref name="startedAtUtc"/> and (where
    /// the OS shows command lines) whose command line contains every one of <paramref name="commandLineParts"/>.
    /// </summary>
    public static RecordedProcessState Identify(int processId, DateTime startedAtUtc, params string[] commandLineParts)
    {
        ArgumentNullException.ThrowIfNull(commandLineParts);
        if (StartTimeUtc(processId) is not { } started)
        {
            return RecordedProcessState.Gone;
        }

        if ((started - startedAtUtc).Duration() > StartTimeTolerance)
        {
            return RecordedProcessState.Foreign;
        }

        var commandLine = CommandLine(processId);
        return commandLine is null || commandLineParts.All(p => commandLine.Contains(p, StringComparison.Ordinal))
            ? RecordedProcessState.Alive
            : RecordedProcessState.Foreign;
    }

    /// <summary>The command line of a process (Linux: /proc/PID/cmdline), or null where the OS does not show it.</summary>
    public static string? CommandLine(int processId)
    {
        var path = $"/proc/{processId}/cmdline";
        try
        {
            return File.Exists(path) ? Encoding.UTF8.GetString(File.ReadAllBytes(path)).Replace('\0', ' ') : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Waits until <paramref name="processId"/> has exited; false if it still runs after <paramref name="timeout"/>.</summary>
    public static async Task<bool> WaitForExitAsync(int processId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.StartNew();
        while (StartTimeUtc(processId) is not null)
        {
            if (deadline.Elapsed >= timeout)
            {
                return false;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Kills <paramref name="processId"/> (SIGKILL) if it is still the recorded process; true if it is gone afterwards.</summary>
    public static async Task<bool> KillIfSameAsync(int processId, DateTime startedAtUtc, string[] commandLineParts, TimeSpan timeout)
    {
        if (Identify(processId, startedAtUtc, commandLineParts) != RecordedProcessState.Alive)
        {
            return true;
        }

        try
        {
            using var process = Process.GetProcessById(processId);
            process.Kill(entireProcessTree: false);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return true;
        }

        return await WaitForExitAsync(processId, timeout).ConfigureAwait(false);
    }
}
