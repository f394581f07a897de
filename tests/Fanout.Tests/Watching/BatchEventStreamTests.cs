using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Fanout.Core.Models;
using Fanout.Core.Options;
using Fanout.Core.Service;
using Fanout.Core.Storage;
using Fanout.Core.Watching;
using Fanout.Http;
using Fanout.Tests.Llm;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using Xunit;

namespace Fanout.Tests.Watching;

public sealed class BatchEventStreamTests
{
    private const string Id = "batch_stream";

    [Fact]
    public async Task A_running_batch_gets_a_progress_event_every_second_and_a_comment_every_10_seconds_then_the_final_one_ends_it()
    {
        var time = new FakeTimeProvider();
        var state = new BatchProgress(BatchStatus.InProgress, 100, new BatchCounts(Completed: 10), 4);
        var client = new Mock<DurableTaskClient>("test");
        var finished = false;
        client.Setup(c => c.GetInstanceAsync(Id, true, It.IsAny<CancellationToken>()))
            .ReturnsAsync(() => finished ? Meta(OrchestrationRuntimeStatus.Completed, state) : Meta(OrchestrationRuntimeStatus.Running, state));
        var context = new DefaultHttpContext();
        var body = new MemoryStream();
        context.Response.Body = body;
        var hub = new BatchWatchHub(Store(), time, NullLogger<BatchWatchHub>.Instance);
        var source = new BatchEventStream(Id, client.Object, hub, time);
        var stream = new ServerSentEventsResult<BatchObject>(new EventStream<BatchObject>(source.ReadAsync(), BatchEventStream.ReconnectAfter));

        var run = stream.ExecuteAsync(context);
        // 25 s of fake time in 500 ms polls, each advanced only once the stream waits for it.
        for (var i = 0; i < 50; i++)
        {
            await WaitUntilWaitingAsync(hub, time, 1); // the feed waits for its next read, the watcher for the next snapshot
            time.Advance(BatchEventStream.PollInterval);
        }

        await WaitUntilWaitingAsync(hub, time, 1);
        finished = true;
        time.Advance(BatchEventStream.PollInterval);
        await run.WaitAsync(TimeSpan.FromSeconds(30));

        var text = Encoding.UTF8.GetString(body.ToArray());
        Assert.Equal("text/event-stream; charset=utf-8", context.Response.ContentType);
        var blocks = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        var events = blocks.Where(b => b.StartsWith("event: progress\ndata: ", StringComparison.Ordinal)).ToList();
        // t = 0, 1, …, 25 s: one per second while running, then the final one.
        Assert.Equal(27, events.Count);
        Assert.Equal(2, blocks.Count(b => b == ": keep-alive"));
        var last = JsonDocument.Parse(events[^1]["event: progress\ndata: ".Length..]).RootElement;
        Assert.Equal("completed", last.GetProperty("status").GetString());
        Assert.All(events[..^1], e => Assert.Contains("\"status\":\"in_progress\"", e, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Three_hundred_watchers_of_one_batch_share_one_status_read_per_interval()
    {
        const int Watchers = 300;
        const int Intervals = 6;
        var time = new FakeTimeProvider();
        var state = new BatchProgress(BatchStatus.InProgress, 100, new BatchCounts(Completed: 10), 4);
        var client = new Mock<DurableTaskClient>("test");
        var reads = 0;
        client.Setup(c => c.GetInstanceAsync(Id, true, It.IsAny<CancellationToken>()))
            .ReturnsAsync(() =>
            {
                Interlocked.Increment(ref reads);
                return Meta(OrchestrationRuntimeStatus.Running, state);
            });
        var hub = new BatchWatchHub(Store(), time, NullLogger<BatchWatchHub>.Instance);
        using var stop = new CancellationTokenSource();
        var received = new int[Watchers];
        var watchers = Enumerable.Range(0, Watchers).Select(w => Task.Run(async () =>
        {
            try
            {
                await foreach (var e in new BatchEventStream(Id, client.Object, hub, time).ReadAsync(stop.Token))
                {
                    if (!e.IsKeepAlive)
                    {
                        Interlocked.Increment(ref received[w]);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        })).ToList();

        for (var i = 0; i < Intervals; i++)
        {
            await WaitUntilWaitingAsync(hub, time, Watchers); // every watcher waits, and the feed waits for its next read
            time.Advance(BatchEventStream.PollInterval);
        }

        await WaitUntilWaitingAsync(hub, time, Watchers);
        var feed = hub.Find(Id)!;
        stop.Cancel();
        await Task.WhenAll(watchers).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Intervals + 1, reads); // t = 0 and one per interval, whatever the number of watchers
        Assert.Equal(Intervals + 1, feed.Reads);
        Assert.All(received, r => Assert.Equal(1 + (Intervals / 2), r)); // t = 0, then one per second
        Assert.Null(hub.Find(Id)); // the last watcher gone, the feed stopped
    }

    [Fact]
    public void Event_streams_beyond_the_cap_are_refused_per_host_and_per_key_with_retry_after()
    {
        var limiter = new EventStreamLimiter(Microsoft.Extensions.Options.Options.Create(new EventStreamOptions { MaxEventStreams = 2 }));

        var a1 = limiter.TryOpen("key-a");
        var a2 = limiter.TryOpen("key-a");
        var a3 = limiter.TryOpen("key-a");
        var b1 = limiter.TryOpen("key-b");
        a1.Value!.Dispose();
        var b2 = limiter.TryOpen("key-b");

        Assert.True(a1.IsSuccess && a2.IsSuccess && b2.IsSuccess);
        Assert.Equal(ErrorKind.RateLimited, a3.Error!.Kind);
        Assert.Equal("too_many_event_streams", a3.Error.Code);
        Assert.NotNull(a3.Error.RetryAfter);
        Assert.False(b1.IsSuccess); // the host's bound, whoever asks
        Assert.Equal(2, limiter.Open);
    }

    // Moves on once the feed has read (and waits on the clock) and every watcher has taken the latest snapshot.
    private static async Task WaitUntilWaitingAsync(BatchWatchHub hub, FakeTimeProvider time, int watchers)
    {
        for (var spins = 0; hub.Find(Id) is not { } feed || feed.CaughtUp < watchers || time.PendingTimers < watchers + 1; spins++)
        {
            Assert.True(spins < 30_000, $"{hub.Find(Id)?.CaughtUp} of {watchers} watchers wait; {time.PendingTimers} timers");
            await Task.Delay(1);
        }
    }

    private static OrchestrationMetadata Meta(OrchestrationRuntimeStatus status, BatchProgress progress)
    {
        var converter = JsonDataConverter.Default;
        var input = new BatchInput(Id, "gpt-4o-mini", 4, 1_764_000_000, Prepared: new PreparedBatch(100, 0, 500));
        return new OrchestrationMetadata("BatchOrchestrator", Id)
        {
            DataConverter = converter,
            RuntimeStatus = status,
            SerializedInput = converter.Serialize(input),
            SerializedCustomStatus = converter.Serialize(progress),
            SerializedOutput = status == OrchestrationRuntimeStatus.Completed
                ? converter.Serialize(new BatchResult(BatchStatus.Completed, 100, new BatchCounts(Completed: 100), 1_764_000_100))
                : null,
        };
    }

    /// <summary>A store on the in-memory Blob REST handler (no storage runs in unit tests): the batch object reads its attempt journals there.</summary>
    private static BatchStore Store()
        => new(
            new BlobServiceClient(
                new Uri("http://127.0.0.1:1/devstoreaccount1"),
                new BlobClientOptions { Transport = new Azure.Core.Pipeline.HttpClientTransport(new HttpClient(new Functions.OpenAI.InMemoryBlobHandler())), Retry = { MaxRetries = 0 } }),
            Microsoft.Extensions.Options.Options.Create(new StorageOptions()));
}
