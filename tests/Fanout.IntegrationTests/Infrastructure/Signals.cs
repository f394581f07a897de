using System.Runtime.InteropServices;

namespace Fanout.IntegrationTests.Infrastructure;

/// <summary>POSIX signals by process id (.NET itself only sends SIGKILL).</summary>
internal static partial class Signals
{
    /// <summary>SIGINT, what Ctrl+C sends.</summary>
    public const int Interrupt = 2;

    /// <summary>SIGTERM, what <c>docker stop</c> and systemd send.</summary>
    public const int Terminate = 15;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="processId"/>; true when it was delivered.</summary>
    public static bool Send(int processId, int signal) => kill(processId, signal) == 0;

    /// <summary>
    /// Whether <paramref name="processId"/> ignores <paramref name="signal"/> (its <c>SigIgn</c> mask in /proc). A
    /// process started from a job run in the background of a non-interactive shell (<c>bash .ci/run &amp;</c>) ignores
    /// SIGINT, and so do its children: the test's Ctrl+C would never arrive.
    /// </summary>
    public static bool Ignores(int processId, int signal)
    {
        try
        {
            var line = File.ReadLines($"/proc/{processId}/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
            return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << (signal - 1))) != 0;
        }
        catch (IOException)
        {
            return false;
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
