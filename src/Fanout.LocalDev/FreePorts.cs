using System.Net;
using System.Net.Sockets;

namespace Fanout.LocalDev;

/// <summary>Free loopback TCP ports, found by letting the OS pick (port 0) and releasing them for the caller to bind.</summary>
/// <remarks>Another process may take a port between this probe and the caller's bind: callers that can, retry on new ports.</remarks>
public static class FreePorts
{
    /// <summary>One free loopback port.</summary>
    public static int GetLoopbackPort() => GetLoopbackPorts(1)[0];

    /// <summary><paramref name="count"/> distinct free loopback ports.</summary>
    public static int[] GetLoopbackPorts(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);

        // Hold all listeners at once so the ports are distinct, then release them.
        var listeners = new TcpListener[count];
        try
        {
            for (var i = 0; i < count; i++)
            {
                listeners[i] = new TcpListener(IPAddress.Loopback, 0);
                listeners[i].Start();
            }

            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener?.Stop();
            }
        }
    }
}
