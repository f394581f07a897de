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

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
