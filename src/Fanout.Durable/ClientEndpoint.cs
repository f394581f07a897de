using System.Globalization;
using Fanout.LocalDev;

namespace Fanout.Durable;

/// <summary>The loopback address of the in-process gRPC endpoint that the Durable Task client connects to.</summary>
internal sealed class ClientEndpoint
{
    /// <summary>Initializes a new instance of the <see cref="ClientEndpoint"/> class; port null picks a free one.</summary>
    public ClientEndpoint(int? port)
    {
        Port = port ?? FreePorts.GetLoopbackPort();
        Address = new Uri($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>Gets the loopback port the endpoint listens on.</summary>
    public int Port { get; }

    /// <summary>Gets the endpoint's address (HTTP/2 without TLS).</summary>
    public Uri Address { get; }
}
