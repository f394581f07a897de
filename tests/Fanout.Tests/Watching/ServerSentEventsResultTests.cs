using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text;
using Fanout.Core.Service;
using Fanout.Http;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace Fanout.Tests.Watching;

public sealed class ServerSentEventsResultTests
{
    [Fact]
    public async Task Writes_retry_first_then_each_event_as_one_data_line_of_json_and_keep_alives_as_comments_and_ends_with_the_events()
    {
        var running = new Sample("batch_1", "in_progress", "two\nlines");
        var done = new Sample("batch_1", "completed", null);
        var context = Context(out var body);

        await Result(running, null, running, done).ExecuteAsync(context);

        Assert.Equal(
            "retry: 2000\n\n"
            + "event: progress\ndata: {\"id\":\"batch_1\",\"status\":\"in_progress\",\"note\":\"two\\nlines\"}\n\n"
            + ": keep-alive\n\n"
            + "event: progress\ndata: {\"id\":\"batch_1\",\"status\":\"in_progress\",\"note\":\"two\\nlines\"}\n\n"
            + "event: progress\ndata: {\"id\":\"batch_1\",\"status\":\"completed\",\"note\":null}\n\n",
            Encoding.UTF8.GetString(body.ToArray()));
        Assert.Equal(200, context.Response.StatusCode);
        Assert.Equal("text/event-stream; charset=utf-8", context.Response.ContentType);
        Assert.Equal("no-cache", context.Response.Headers.CacheControl);
    }

    [Fact]
    public async Task The_dotnet_sse_parser_reads_the_events_and_skips_the_retry_block_and_the_comments()
    {
        var context = Context(out var body);
        await Result(new Sample("batch_2", "in_progress", null), null, null, new Sample("batch_2", "failed", "x")).ExecuteAsync(context);

        body.Position = 0;
        var parser = SseParser.Create(body);
        var items = new List<SseItem<string>>();
        await foreach (var item in parser.EnumerateAsync())
        {
            items.Add(item);
        }

        Assert.Equal(["progress", "progress"], items.Select(i => i.EventType));
        Assert.Equal("{\"id\":\"batch_2\",\"status\":\"failed\",\"note\":\"x\"}", items[^1].Data);
        Assert.Equal(TimeSpan.FromSeconds(2), parser.ReconnectionInterval);
    }

    [Fact]
    public void One_status_object_is_formatted_once_for_every_watcher()
    {
        var shared = new Sample("batch_3", "in_progress", null);

        Assert.Same(ServerSentEventsResult<Sample>.Json(shared), ServerSentEventsResult<Sample>.Json(shared));
        Assert.NotSame(ServerSentEventsResult<Sample>.Json(shared), ServerSentEventsResult<Sample>.Json(shared with { }));
    }

    [Fact]
    public async Task A_client_that_goes_away_ends_the_stream_without_an_error()
    {
        using var gone = new CancellationTokenSource();
        var context = Context(out var body);
        context.RequestAborted = gone.Token;

        await new ServerSentEventsResult<Sample>(new EventStream<Sample>(UntilCancelledAsync(gone), TimeSpan.FromSeconds(2))).ExecuteAsync(context);

        Assert.Equal(
            "retry: 2000\n\nevent: progress\ndata: {\"id\":\"batch_4\",\"status\":\"in_progress\",\"note\":null}\n\n",
            Encoding.UTF8.GetString(body.ToArray()));
    }

    private static DefaultHttpContext Context(out MemoryStream body)
    {
        body = new MemoryStream();
        var context = new DefaultHttpContext();
        context.Response.Body = body;
        return context;
    }

    // Null stands for a keep-alive.
    private static ServerSentEventsResult<Sample> Result(params Sample?[] events)
        => new(new EventStream<Sample>(EventsAsync(events), TimeSpan.FromSeconds(2)));

    private static async IAsyncEnumerable<ServiceEvent<Sample>> EventsAsync(Sample?[] events)
    {
        foreach (var e in events)
        {
            await Task.Yield();
            yield return e is null ? ServiceEvent<Sample>.KeepAlive : new ServiceEvent<Sample>("progress", e);
        }
    }

    // One event, then the client goes away while the stream waits for the next.
    private static async IAsyncEnumerable<ServiceEvent<Sample>> UntilCancelledAsync(CancellationTokenSource gone, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        yield return new ServiceEvent<Sample>("progress", new Sample("batch_4", "in_progress", null));
        await gone.CancelAsync();
        await Task.Delay(Timeout.Infinite, cancellationToken);
        yield return new ServiceEvent<Sample>("progress", new Sample("batch_4", "completed", null));
    }

    /// <summary>A stand-in for the batch object.</summary>
    public sealed record Sample(string Id, string Status, string? Note);
}
