using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Fanout.LocalDev;

/// <summary>
/// A host's connection to the control port of fanout-azurite.js. While it is open the host owns that Azurite; the OS
/// closes it when the host dies (even by SIGKILL), and Azurite stops itself once no host has owned it for its grace.
/// </summary>
internal sealed class AzuriteControl : IAsyncDisposable
{
    static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(30);

    readonly TcpClient client;
    readonly StreamReader reader;
    readonly NetworkStream stream;
    readonly SemaphoreSlim gate = new(1, 1);

    AzuriteControl(TcpClient client)
    {
        this.client = client;
        stream = client.GetStream();
        reader = new StreamReader(stream, Encoding.UTF8);
    }

    /// <summary>Connects and says hello; null when Azurite does not answer "ok" within <paramref name="timeout"/> (it is stopping or hung).</summary>
    public static async Task<AzuriteControl?> TryAttachAsync(int port, TimeSpan timeout, CancellationToken cancellationToken) =>
        (await AttachAsync(port, timeout, cancellationToken).ConfigureAwait(false)).Control;

    /// <summary>
    /// Connects and says hello. Control is null when Azurite did not answer "ok"; Hung then says whether it answered
    /// nothing at all within <paramref name="timeout"/> (rather than refusing or closing: it is stopping).
    /// </summary>
    public static async Task<(AzuriteControl? Control, bool Hung)> AttachAsync(int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, deadline.Token).ConfigureAwait(false);
            var control = new AzuriteControl(client);
            var reply = await control.SendAsync($"hello {Environment.ProcessId}", deadline.Token).ConfigureAwait(false);
            if (reply == "ok")
            {
                return (control, false);
            }

            await control.DisposeAsync().ConfigureAwait(false);
            return (null, false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            client.Dispose();
            return (null, true);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            client.Dispose();
            return (null, false);
        }
    }

    /// <summary>Asks Azurite to save every database now; returns when they are on disk.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var reply = await SendAsync("flush", cancellationToken).ConfigureAwait(false);
        if (reply != "flushed")
        {
            throw new IOException($"Azurite could not save its databases: {reply ?? "no answer"}.");
        }
    }

    /// <summary>Gives up ownership: true when this was the last owner and Azurite is now saving and stopping.</summary>
    public async Task<bool> ReleaseAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await SendAsync("stop-if-last", cancellationToken).ConfigureAwait(false) == "stopping";
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            return false; // Azurite is already gone
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        reader.Dispose();
        client.Dispose();
        gate.Dispose();
        return ValueTask.CompletedTask;
    }

    async Task<string?> SendAsync(string command, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReplyTimeout);
        await gate.WaitAsync(timeout.Token).ConfigureAwait(false);
        try
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(command + "\n"), timeout.Token).ConfigureAwait(false);
            return await reader.ReadLineAsync(timeout.Token).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }
}
