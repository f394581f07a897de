using System.Buffers;
using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Fanout.Core.Service;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Fanout.Http;

/// <summary>
/// The SSE writer: an <see cref="EventStream{T}"/> as <c>text/event-stream</c>, its events framed by .NET's
/// <see cref="SseFormatter"/> (<c>event: NAME</c>, the data as one <c>data:</c> line of JSON, flushed after each).
/// Two lines are constants written around it, because an <c>SseItem</c> cannot express them: the
/// <c>retry:</c> block written first (an item always carries a <c>data:</c> line, which would dispatch an empty
/// event; this block also opens the stream for proxies before the first status is read), and the keep-alive
/// comment written between events. Ends when the events end or the client goes away.
/// </summary>
/// <typeparam name="T">The type of the events' data.</typeparam>
public sealed class ServerSentEventsResult<T>(EventStream<T> stream) : IResult
    where T : class
{
    /// <summary>The keep-alive: a comment line, ignored by every SSE reader.</summary>
    internal static readonly byte[] KeepAlive = ": keep-alive\n\n"u8.ToArray();

    // All watchers of a batch are handed the same object per status read (BatchStatusFeed): its JSON is written
    // once, not once per open stream.
    private static readonly ConditionalWeakTable<T, byte[]> Cache = [];

    /// <summary>The events.</summary>
    public EventStream<T> Stream { get; } = stream;

    /// <summary>The data as UTF-8 JSON in the services' shape, one line; formatted once per object.</summary>
    public static byte[] Json(T data)
        => Cache.GetValue(data, static d => JsonSerializer.SerializeToUtf8Bytes(d, ServiceJson.Options));

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
            await WriteAsync(response.Body, Encoding.UTF8.GetBytes($"retry: {retry}\n\n"), cancellationToken).ConfigureAwait(false);
            await SseFormatter.WriteAsync(ItemsAsync(response.Body, cancellationToken), response.Body, static (item, writer) => writer.Write(Json(item.Data)), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    // The events as SSE items; a keep-alive is written here, between two items (the formatter awaits each write
    // before it asks for the next item, so the writes never overlap).
    private async IAsyncEnumerable<SseItem<T>> ItemsAsync(Stream body, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in Stream.Events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (item.IsKeepAlive)
            {
                await WriteAsync(body, KeepAlive, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                yield return new SseItem<T>(item.Data!, item.Name ?? "message");
            }
        }
    }

    private static async Task WriteAsync(Stream body, byte[] bytes, CancellationToken cancellationToken)
    {
        await body.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        await body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
