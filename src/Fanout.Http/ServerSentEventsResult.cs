using System.Globalization;
using System.Text;
using System.Text.Json;
using Fanout.Core.Service;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Fanout.Http;

/// <summary>
/// The SSE writer: an <see cref="EventStream{T}"/> as <c>text/event-stream</c>. Writes <c>retry:</c> first (it also
/// opens the stream for proxies), each event as <c>event: NAME</c> and one <c>data:</c> line of JSON, each keep-alive
/// as a comment line, flushing after each; ends when the events end or the client goes away.
/// </summary>
/// <typeparam name="T">The type of the events' data.</typeparam>
public sealed class ServerSentEventsResult<T>(EventStream<T> stream) : IResult
    where T : class
{
    private static readonly byte[] KeepAlive = ": keep-alive\n\n"u8.ToArray();

    // All watchers of a batch are handed the same object per status read (BatchStatusFeed): it is formatted once,
    // not once per open stream.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<T, Formatted> Cache = [];

    /// <summary>The events.</summary>
    public EventStream<T> Stream { get; } = stream;

    /// <summary>One SSE event: <c>event: NAME</c>, the data as one <c>data:</c> line of JSON, a blank line.</summary>
    public static byte[] Format(string name, T data)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(data, ServiceJson.Options);
        var head = Encoding.UTF8.GetBytes($"event: {name}\ndata: ");
        var bytes = new byte[head.Length + json.Length + 2];
        head.CopyTo(bytes, 0);
        json.CopyTo(bytes, head.Length);
        bytes[^2] = (byte)'\n';
        bytes[^1] = (byte)'\n';
        return bytes;
    }

    private static byte[] FormatShared(string name, T data)
    {
        var formatted = Cache.GetValue(data, d => new Formatted(name, Format(name, d)));
        return formatted.Name == name ? formatted.Bytes : Format(name, data);
    }

    /// <inheritdoc />
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        var cancellationToken = httpContext.RequestAborted;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        try
        {
            var retry = ((long)Stream.ReconnectAfter.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
            await WriteAsync(response, Encoding.UTF8.GetBytes($"retry: {retry}\n\n"), cancellationToken).ConfigureAwait(false);
            await foreach (var item in Stream.Events.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                await WriteAsync(response, item.IsKeepAlive ? KeepAlive : FormatShared(item.Name ?? "message", item.Data!), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    private static async Task WriteAsync(HttpResponse response, byte[] bytes, CancellationToken cancellationToken)
    {
        await response.Body.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private sealed record Formatted(string Name, byte[] Bytes);
}
