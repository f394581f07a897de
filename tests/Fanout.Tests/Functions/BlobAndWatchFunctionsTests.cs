using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Fanout.Core.Api;
using Fanout.Core.Models;
using Fanout.Http.Batches;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Moq;
using Xunit;

namespace Fanout.Tests.Functions;

/// <summary>The blob trigger (idempotent per name and content) and the watching triggers, over a mocked client.</summary>
public sealed class BlobAndWatchFunctionsTests
{
    [Fact]
    public async Task The_same_blob_dropped_twice_starts_one_batch_with_one_id()
    {
        var h = new TriggerHarness();
        var content = Encoding.UTF8.GetBytes("{\"custom_id\":\"a\",\"body\":{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}\n");
        var blob = new Mock<BlobClient>();
        blob.Setup(b => b.OpenReadAsync(It.IsAny<BlobOpenReadOptions>(), It.IsAny<CancellationToken>())).ReturnsAsync(() => new MemoryStream(content));

        await h.Durable.OnBlobAsync(blob.Object, "my batch.jsonl", h.Client.Object, default);
        await h.Durable.OnBlobAsync(blob.Object, "my batch.jsonl", h.Client.Object, default);

        var id = BatchIds.FromBlob("my batch.jsonl", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content))[..16]);
        Assert.StartsWith("blob_my-batch_", id, StringComparison.Ordinal);
        h.Client.Verify(
            c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.Is<StartOrchestrationOptions?>(o => o!.InstanceId == id), It.IsAny<CancellationToken>()),
            Times.Once);
        var input = h.Instances[id].ReadInputAs<BatchInput>()!;
        Assert.Equal(new BatchSource("batches-in", "my batch.jsonl"), input.Source);
        Assert.Equal("batches-in/my batch.jsonl", input.Metadata!["source_blob"]);
        Assert.Equal(TriggerHarness.Deployment, input.Deployment);
        h.Flush.Verify(f => f.FlushAsync(It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task Changed_content_under_the_same_name_is_a_new_batch()
    {
        var h = new TriggerHarness();
        var version = 0;
        var blob = new Mock<BlobClient>();
        blob.Setup(b => b.OpenReadAsync(It.IsAny<BlobOpenReadOptions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(() => new MemoryStream(Encoding.UTF8.GetBytes($"{{\"custom_id\":\"v{version}\"}}\n")));

        await h.Durable.OnBlobAsync(blob.Object, "b.jsonl", h.Client.Object, default);
        version++;
        await h.Durable.OnBlobAsync(blob.Object, "b.jsonl", h.Client.Object, default);

        Assert.Equal(2, h.Instances.Keys.Count(k => k.StartsWith("blob_b_", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task List_pages_newest_first_and_rejects_a_wrong_limit_or_an_unknown_after()
    {
        var h = new TriggerHarness();
        // Finished batches: a running one's live progress reads the clock, so two reads would differ.
        var done = new BatchResult(BatchStatus.Completed, 3, new BatchCounts(Completed: 3), 1_764_000_900);
        h.AddBatch("batch_old", OrchestrationRuntimeStatus.Completed, done, createdAt: 1_764_000_000);
        h.AddBatch("batch_new", OrchestrationRuntimeStatus.Completed, done, createdAt: 1_764_000_500);
        h.Client.Setup(c => c.GetAllInstancesAsync(It.IsAny<OrchestrationQuery?>()))
            .Returns(() => Pageable.Create((string? _, CancellationToken _) => Task.FromResult(new Microsoft.DurableTask.Page<OrchestrationMetadata>(h.Instances.Values.ToList(), null))));

        var page = await BatchHttpFunctionsTests.BothAsync(
            r => h.WatchFunctions.ListAsync(r, h.Client.Object, default), r => BatchEndpoints.ListAsync(r, h.Watch, h.Client.Object, default), "?limit=1");
        Assert.Equal(200, page.Status);
        var list = JsonDocument.Parse(page.Body).RootElement;
        Assert.Equal("list", list.GetProperty("object").GetString());
        Assert.Equal("batch_new", list.GetProperty("first_id").GetString());
        Assert.True(list.GetProperty("has_more").GetBoolean());

        var limit = await BatchHttpFunctionsTests.BothAsync(
            r => h.WatchFunctions.ListAsync(r, h.Client.Object, default), r => BatchEndpoints.ListAsync(r, h.Watch, h.Client.Object, default), "?limit=101");
        BatchHttpFunctionsTests.AssertError(limit, 400, "invalid_parameter", "Query parameter 'limit' must be an integer from 1 to 100.");

        var after = await BatchHttpFunctionsTests.BothAsync(
            r => h.WatchFunctions.ListAsync(r, h.Client.Object, default), r => BatchEndpoints.ListAsync(r, h.Watch, h.Client.Object, default), "?after=batch_gone");
        BatchHttpFunctionsTests.AssertError(after, 404, "batch_not_found", "No batch with id 'batch_gone' (query parameter 'after').");
    }

    [Fact]
    public async Task Events_of_a_finished_batch_are_one_final_progress_event_and_of_an_unknown_one_a_404()
    {
        var h = new TriggerHarness();
        h.AddBatch("batch_done", OrchestrationRuntimeStatus.Completed, new BatchResult(BatchStatus.Completed, 3, new BatchCounts(Completed: 3), 1_764_000_100));

        var events = await BatchHttpFunctionsTests.BothAsync(
            r => h.WatchFunctions.EventsAsync(r, "batch_done", h.Client.Object, default), r => BatchEndpoints.EventsAsync("batch_done", r, h.Watch, h.Client.Object, default));
        Assert.Equal(200, events.Status);
        Assert.Equal("text/event-stream; charset=utf-8", events.ContentType);
        Assert.Equal("no-cache", events.Headers["Cache-Control"]);
        Assert.StartsWith("retry: 2000\n\nevent: progress\ndata: {", events.Body, StringComparison.Ordinal);
        Assert.Single(events.Body.Split("event: progress"), s => s.Contains("\"status\":\"completed\"", StringComparison.Ordinal));

        var missing = await BatchHttpFunctionsTests.BothAsync(
            r => h.WatchFunctions.EventsAsync(r, "batch_gone", h.Client.Object, default), r => BatchEndpoints.EventsAsync("batch_gone", r, h.Watch, h.Client.Object, default));
        BatchHttpFunctionsTests.AssertError(missing, 404, "batch_not_found", "No batch with id 'batch_gone'.");
    }

    [Fact]
    public async Task Partial_results_of_a_finished_batch_without_output_are_a_404_that_still_says_complete()
    {
        var blob = new Mock<BlobClient>();
        blob.Setup(b => b.OpenReadAsync(It.IsAny<BlobOpenReadOptions>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new RequestFailedException(404, "The specified blob does not exist."));
        var container = new Mock<BlobContainerClient>();
        container.Setup(c => c.GetBlobClient(It.IsAny<string>())).Returns(blob.Object);
        var service = new Mock<BlobServiceClient>();
        service.Setup(s => s.GetBlobContainerClient(It.IsAny<string>())).Returns(container.Object);
        var h = new TriggerHarness(service.Object);
        h.AddBatch("batch_failed", OrchestrationRuntimeStatus.Completed, new BatchResult(BatchStatus.Failed, 0, new BatchCounts(), 1_764_000_100));

        var partial = await BatchHttpFunctionsTests.BothAsync(
            r => h.Http.GetResultsAsync(r, "batch_failed", h.Client.Object, default),
            r => BatchEndpoints.ResultsAsync("batch_failed", r, h.Watch, h.Retries, h.Client.Object, default),
            "?partial=true");
        BatchHttpFunctionsTests.AssertError(partial, 404, "output_not_found", "Batch batch_failed has no output file; it failed before writing one (see its error).");
        Assert.Equal("true", partial.Headers["Fanout-Complete"]);

        // Without partial=true the same 404 has no Fanout-Complete header, as before.
        var whole = await BatchHttpFunctionsTests.BothAsync(
            r => h.Http.GetResultsAsync(r, "batch_failed", h.Client.Object, default),
            r => BatchEndpoints.ResultsAsync("batch_failed", r, h.Watch, h.Retries, h.Client.Object, default));
        BatchHttpFunctionsTests.AssertError(whole, 404, "output_not_found", "Batch batch_failed has no output file; it failed before writing one (see its error).");
        Assert.False(whole.Headers.ContainsKey("Fanout-Complete"));
    }

    [Fact]
    public async Task Healthz_is_200_when_both_answer_and_503_naming_storage_when_it_does_not()
    {
        var container = new Mock<BlobContainerClient>();
        var up = true;
        container.Setup(c => c.ExistsAsync(It.IsAny<CancellationToken>()))
            .Returns(() => up ? Task.FromResult(Response.FromValue(true, Mock.Of<Response>())) : throw new RequestFailedException("down"));
        var service = new Mock<BlobServiceClient>();
        service.Setup(s => s.GetBlobContainerClient(It.IsAny<string>())).Returns(container.Object);
        var h = new TriggerHarness(service.Object);

        var healthy = await BatchHttpFunctionsTests.BothAsync(
            r => h.WatchFunctions.HealthAsync(r, h.Client.Object, default), r => BatchEndpoints.HealthAsync(h.Watch, h.Client.Object, default));
        Assert.Equal(200, healthy.Status);
        Assert.Equal("{\"status\":\"ok\",\"storage\":\"ok\",\"durable\":\"ok\"}", healthy.Body);

        up = false;
        var unhealthy = await BatchHttpFunctionsTests.BothAsync(
            r => h.WatchFunctions.HealthAsync(r, h.Client.Object, default), r => BatchEndpoints.HealthAsync(h.Watch, h.Client.Object, default));
        Assert.Equal(503, unhealthy.Status);
        Assert.Equal("{\"status\":\"unhealthy\",\"storage\":\"unreachable\",\"durable\":\"ok\"}", unhealthy.Body);
    }
}
