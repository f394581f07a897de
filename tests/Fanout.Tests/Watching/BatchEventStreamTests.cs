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
        var source = new BatchEventStream(Id, client.Object, Store(), time, NullLogger.Instance);
        var stream = new ServerSentEventsResult<BatchObject>(new EventStream<BatchObject>(source.ReadAsync(), BatchEventStream.ReconnectAfter));

        var run = stream.ExecuteAsync(context);
        // 25 s of fake time in 500 ms polls, each advanced only once the stream waits for it.
        for (var i = 0; i < 50; i++)
        {
            await WaitForTimerAsync(time);
            time.Advance(BatchEventStream.PollInterval);
        }

        await WaitForTimerAsync(time);
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

    private static async Task WaitForTimerAsync(FakeTimeProvider time)
    {
        for (var spins = 0; time.PendingTimers == 0; spins++)
        {
            Assert.True(spins < 10_000, "the stream never waited");
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

    private static BatchStore Store()
        => new(new BlobServiceClient("UseDevelopmentStorage=true"), Microsoft.Extensions.Options.Options.Create(new StorageOptions()));
}
