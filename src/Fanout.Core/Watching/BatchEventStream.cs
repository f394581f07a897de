using Fanout.Core.Api;
using Fanout.Core.Models;
using Fanout.Core.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Fanout.Core.Watching;

/// <summary>
/// The <c>text/event-stream</c> of one batch: reads the batch object (the one <c>GET /api/batches/{id}</c> returns)
/// every <see cref="PollInterval"/>, sends an <c>event: progress</c> when its status changed or
/// <see cref="EventInterval"/> has passed, a comment line every <see cref="KeepAliveInterval"/> (whatever else was
/// sent: some proxies want to see one), and ends after the event that carries a final status.
/// </summary>
internal sealed partial class BatchEventStream(string batchId, DurableTaskClient client, BatchStore store, TimeProvider time, ILogger logger) : IResult
{
    /// <summary>How often the status is read.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest gap between two progress events while the batch runs (the contract says at most 2 s).</summary>
    public static readonly TimeSpan EventInterval = TimeSpan.FromSeconds(1);

    /// <summary>Longest gap between two comment lines (the contract says at most 15 s).</summary>
    public static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(10);

    private static readonly byte[] KeepAlive = ": keep-alive\n\n"u8.ToArray();

    /// <summary>True for the statuses after which a batch never changes.</summary>
    public static bool IsFinal(string status) => status is BatchStatus.Completed or BatchStatus.Failed or BatchStatus.Cancelled;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        var cancellationToken = httpContext.RequestAborted;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        // A reconnecting EventSource waits this long; the first bytes also open the stream for proxies.
        await WriteAsync(response, "retry: 2000\n\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        string? lastStatus = null;
        var lastEvent = DateTimeOffset.MinValue;
        var lastComment = time.GetUtcNow();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var now = time.GetUtcNow();
                BatchObject? batch = null;
                try
                {
                    var meta = await client.GetInstanceAsync(batchId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
                    if (meta is null)
                    {
                        // Purged while watched: nothing more will come.
                        return;
                    }

                    batch = await BatchObjects.FromMetadataAsync(meta, client, store, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A storage hiccup: keep the stream, try again at the next poll.
                    LogReadFailed(logger, e, batchId);
                }

                if (batch is not null && (batch.Status != lastStatus || now - lastEvent >= EventInterval))
                {
                    await WriteAsync(response, Event(batch), cancellationToken).ConfigureAwait(false);
                    lastStatus = batch.Status;
                    lastEvent = now;
                    if (IsFinal(batch.Status))
                    {
                        return;
                    }
                }

                if (now - lastComment >= KeepAliveInterval)
                {
                    await WriteAsync(response, KeepAlive, cancellationToken).ConfigureAwait(false);
                    lastComment = now;
                }

                await Task.Delay(PollInterval, time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    /// <summary>One SSE event: <c>event: progress</c>, the batch object as one <c>data</c> line.</summary>
    internal static byte[] Event(BatchObject batch)
    {
        var json = BatchObjects.Serialize(batch);
        var head = "event: progress\ndata: "u8;
        var bytes = new byte[head.Length + json.Length + 2];
        head.CopyTo(bytes);
        json.CopyTo(bytes, head.Length);
        bytes[^2] = (byte)'\n';
        bytes[^1] = (byte)'\n';
        return bytes;
    }

    private static async Task WriteAsync(HttpResponse response, byte[] bytes, CancellationToken cancellationToken)
    {
        await response.Body.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event stream of batch {BatchId}: reading its status failed; trying again")]
    private static partial void LogReadFailed(ILogger logger, Exception exception, string batchId);
}
