using System.Net;
using System.Text;
using System.Text.Json;
using Fanout.Client;
using Fanout.Client.Models;
using Fanout.Core.Cost;
using Fanout.Core.Models;
using Fanout.Core.Service;
using Fanout.Core.Watching;
using Xunit;

namespace Fanout.Tests.Client;

public sealed class FanoutClientTests : IDisposable
{
    private const string Events = "/api/batches/b1/events";
    private const string Batch = "/api/batches/b1";

    private readonly FanoutApiHandler _api = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("fanout-client-").FullName;

    [Fact]
    public async Task Watch_reads_the_progress_events_across_keep_alive_comments_and_ends_at_the_final_status()
    {
        var wire = string.Join(
            "\n",
            ": keep-alive",
            "",
            "event: progress",
            $"data: {BatchJson("in_progress", 1)}",
            "",
            ": keep-alive",
            "",
            "event: other",
            "data: {\"not\": \"a batch\"}",
            "",
            // A batch object split over two data lines: the parser joins them with a newline, still one JSON object.
            "event: progress",
            "data: {\"id\": \"b1\", \"status\": \"in_progress\",",
            "data:  \"request_counts\": {\"total\": 3, \"completed\": 2, \"failed\": 0}}",
            "",
            "event: progress",
            $"data: {BatchJson("completed", 3)}",
            "",
            "event: progress",
            $"data: {BatchJson("completed", 3)}",
            "",
            "");
        _api.Map(HttpMethod.Get, Events, FanoutApiHandler.EventStream(wire));
        var notes = new List<string>();
        using var client = _api.CreateClient();

        var seen = await ToListAsync(client.WatchAsync("b1", notes.Add, TimeSpan.Zero));

        Assert.Equal(["in_progress", "in_progress", "completed"], seen.Select(b => b.Status));
        Assert.Equal([1, 2, 3], seen.Select(b => b.RequestCounts.Completed));
        Assert.True(seen[^1].IsFinal);
        Assert.Empty(notes);
        Assert.Equal([Events], _api.Requests.Select(r => r.PathAndQuery));
    }

    [Fact]
    public async Task Watch_polls_the_batch_when_the_service_has_no_event_stream()
    {
        _api.Map(
            HttpMethod.Get,
            Batch,
            FanoutApiHandler.Json(HttpStatusCode.OK, BatchJson("validating", 0)),
            FanoutApiHandler.Json(HttpStatusCode.OK, BatchJson("in_progress", 2)),
            FanoutApiHandler.Json(HttpStatusCode.OK, BatchJson("completed", 3)));
        var notes = new List<string>();
        using var client = _api.CreateClient();

        var seen = await ToListAsync(client.WatchAsync("b1", notes.Add, TimeSpan.Zero));

        Assert.Equal(["validating", "in_progress", "completed"], seen.Select(b => b.Status));
        Assert.Equal(["The event stream is unavailable (this service has no /events); polling instead."], notes);
        Assert.Equal([Events, Batch, Batch, Batch], _api.Requests.Select(r => r.PathAndQuery));
    }

    [Fact]
    public async Task Watch_polls_when_the_event_stream_ends_before_a_final_status()
    {
        _api.Map(HttpMethod.Get, Events, FanoutApiHandler.EventStream($"event: progress\ndata: {BatchJson("in_progress", 1)}\n\n"));
        _api.Map(HttpMethod.Get, Batch, FanoutApiHandler.Json(HttpStatusCode.OK, BatchJson("cancelled", 1)));
        var notes = new List<string>();
        using var client = _api.CreateClient();

        var seen = await ToListAsync(client.WatchAsync("b1", notes.Add, TimeSpan.Zero));

        Assert.Equal(["in_progress", "cancelled"], seen.Select(b => b.Status));
        Assert.Equal(["The event stream ended early; polling instead."], notes);
    }

    [Fact]
    public async Task Watch_of_an_unknown_batch_throws_the_services_error_instead_of_polling()
    {
        _api.Map(HttpMethod.Get, Events, FanoutApiHandler.Json(HttpStatusCode.NotFound, """{"error": {"code": "batch_not_found", "message": "No batch b1."}}"""));
        var notes = new List<string>();
        using var client = _api.CreateClient();

        var e = await Assert.ThrowsAsync<FanoutApiException>(() => ToListAsync(client.WatchAsync("b1", notes.Add, TimeSpan.Zero)));

        Assert.Equal(HttpStatusCode.NotFound, e.Status);
        Assert.Equal("batch_not_found", e.Code);
        Assert.Equal("No batch b1.", e.Message);
        Assert.True(e.HasErrorObject);
        Assert.Empty(notes);
        Assert.Single(_api.Requests);
    }

    [Fact]
    public async Task A_refused_submit_throws_the_code_message_and_body_of_the_answer()
    {
        const string answer = """{"error": {"code": "invalid_max_concurrency", "message": "maxConcurrency must be between 1 and 1000."}}""";
        _api.Map(HttpMethod.Post, "/api/batches?maxConcurrency=0", FanoutApiHandler.Json(HttpStatusCode.BadRequest, answer));
        using var client = _api.CreateClient();

        var e = await Assert.ThrowsAsync<FanoutApiException>(() =>
            client.SubmitJsonlAsync(new MemoryStream("{}\n"u8.ToArray()), new BatchSubmitOptions { MaxConcurrency = 0 }, CancellationToken.None));

        Assert.Equal(HttpStatusCode.BadRequest, e.Status);
        Assert.Equal("invalid_max_concurrency", e.Code);
        Assert.Equal("maxConcurrency must be between 1 and 1000.", e.Message);
        Assert.Equal(answer, e.Body);
    }

    [Fact]
    public async Task An_answer_without_an_error_object_is_named_by_its_status()
    {
        _api.Map(HttpMethod.Get, Batch, () => new HttpResponseMessage(HttpStatusCode.BadGateway) { Content = new StringContent("<html>proxy</html>") });
        _api.Map(HttpMethod.Post, "/api/batches/b1/cancel", () => new HttpResponseMessage(HttpStatusCode.Unauthorized) { Content = new ByteArrayContent([]) });
        using var client = _api.CreateClient();

        var proxy = await Assert.ThrowsAsync<FanoutApiException>(() => client.GetAsync("b1", CancellationToken.None));
        var keyless = await Assert.ThrowsAsync<FanoutApiException>(() => client.CancelAsync("b1", CancellationToken.None));

        Assert.Equal(("http_502", "502 Bad Gateway", false), (proxy.Code, proxy.Message, proxy.HasErrorObject));
        Assert.Equal((FanoutApiException.UnauthorizedCode, false), (keyless.Code, keyless.HasErrorObject));
    }

    [Fact]
    public async Task Results_are_copied_in_the_order_served_and_a_partial_copy_says_it_is_not_whole()
    {
        var lines = string.Concat(Enumerable.Range(0, 500).Select(i => $$"""{"custom_id":"p-{{i}}","response":{"status_code":200},"error":null}""" + "\n"));
        _api.Map(HttpMethod.Get, "/api/batches/b1/results?partial=true", FanoutApiHandler.Jsonl(lines, complete: false));
        _api.Map(HttpMethod.Get, "/api/batches/b1/results", FanoutApiHandler.Jsonl(lines, complete: true));
        _api.Map(HttpMethod.Get, "/api/batches/b1/errors", FanoutApiHandler.Jsonl(string.Empty));
        using var client = _api.CreateClient();
        using var partial = new MemoryStream();
        using var whole = new MemoryStream();
        using var errors = new MemoryStream();

        var partialComplete = await client.CopyResultsAsync("b1", partial, partial: true, CancellationToken.None);
        var wholeComplete = await client.CopyResultsAsync("b1", whole, partial: false, CancellationToken.None);
        var errorsComplete = await client.CopyErrorsAsync("b1", errors, CancellationToken.None);

        Assert.False(partialComplete);
        Assert.True(wholeComplete);
        Assert.True(errorsComplete); // no Fanout-Complete header: a finished batch's output
        var copied = Encoding.UTF8.GetString(whole.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Enumerable.Range(0, 500).Select(i => $"p-{i}"), copied.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()));
        Assert.Equal(whole.ToArray(), partial.ToArray());
        Assert.Equal(0, errors.Length);
    }

    [Fact]
    public async Task Submit_of_a_jsonl_file_uploads_it_as_jsonl_with_the_options_in_the_query()
    {
        var path = Path.Combine(_dir, "in.jsonl");
        await File.WriteAllTextAsync(path, "{\"custom_id\": \"a\"}\n{\"custom_id\": \"b\"}\n");
        _api.Map(HttpMethod.Post, "/api/batches?cache=true&deadline=2026-12-06T10%3A00%3A00Z&maxTotalTokens=5000&maxConcurrency=8&deployment=gpt%204o", FanoutApiHandler.Json(HttpStatusCode.Accepted, BatchJson("in_progress", 0)));
        using var client = _api.CreateClient();
        var options = new BatchSubmitOptions { Cache = true, Deadline = "2026-12-06T10:00:00Z", MaxTotalTokens = 5000, MaxConcurrency = 8, Deployment = "gpt 4o" };

        var batch = await client.SubmitFileAsync(path, options, CancellationToken.None);

        Assert.Equal(("b1", 4), (batch.Id, batch.MaxConcurrency));
        var request = Assert.Single(_api.Requests);
        Assert.Equal("application/jsonl", request.ContentType);
        Assert.Equal(await File.ReadAllBytesAsync(path), request.Body);
    }

    [Fact]
    public async Task Submit_of_a_text_file_sends_each_non_empty_line_as_a_prompt_and_an_estimate_asks_for_a_dry_run()
    {
        var path = Path.Combine(_dir, "prompts.txt");
        await File.WriteAllTextAsync(path, "first\n\n  \nsecond \"quoted\"\n");
        _api.Map(HttpMethod.Post, "/api/batches", FanoutApiHandler.Json(HttpStatusCode.Accepted, BatchJson("in_progress", 0)));
        _api.Map(HttpMethod.Post, "/api/batches?dryRun=true", FanoutApiHandler.Json(HttpStatusCode.OK, """{"object": "batch_estimate", "lines": 2, "invalid": 0}"""));
        using var client = _api.CreateClient();

        await client.SubmitFileAsync(path, null, CancellationToken.None);
        var estimate = await client.EstimateFileAsync(path, null, CancellationToken.None);

        Assert.Equal(2, estimate.GetProperty("lines").GetInt32());
        Assert.All(_api.Requests, r => Assert.Equal("application/json", r.ContentType));
        Assert.All(_api.Requests, r => Assert.Equal(["first", "second \"quoted\""], JsonDocument.Parse(r.Body).RootElement.GetProperty("prompts").EnumerateArray().Select(p => p.GetString())));
    }

    [Fact]
    public async Task A_batch_object_written_by_the_service_reads_back_with_its_progress_cost_and_tiers()
    {
        var written = new BatchObject(
            "b1", BatchStatus.InProgress, 1764000000, null, 16, "gpt-4o-mini", new RequestCounts(100, 40, 2, 5), new Usage(1000, 234),
            "batches-out/b1/output.jsonl", "batches-out/b1/errors.jsonl", new Dictionary<string, string>(),
            Progress: new LiveProgress(12.5, 9000, null, 30, 3, 1, 2),
            Cost: new BatchCost("USD", null, new TierCosts(0m, 0.0123m, null)),
            LinesByTier: new LinesByTier(10, 27, 0, 5));
        _api.Map(HttpMethod.Get, Batch, FanoutApiHandler.Json(HttpStatusCode.OK, JsonSerializer.Serialize(written, ServiceJson.Options)));
        using var client = _api.CreateClient();

        var batch = await client.GetAsync("b1", CancellationToken.None);

        Assert.Equal(("b1", "in_progress", 1764000000L, 16), (batch.Id, batch.Status, batch.CreatedAt, batch.MaxConcurrency));
        Assert.Equal("""{"total":100,"completed":40,"failed":2}""", batch.RequestCounts.ToString());
        Assert.Equal(42, batch.RequestCounts.Done);
        Assert.Equal(1234, batch.Usage!.TotalTokens);
        Assert.Equal(new BatchLiveProgress(12.5, 9000, null, 3, 1, 2), batch.Progress);
        Assert.Equal(new BatchCostFigures("USD", null, new TierAmounts(0m, 0.0123m, null)), batch.Cost);
        Assert.Equal(new TierLineCounts(10, 27, 0, 5), batch.LinesByTier);
        Assert.Null(batch.Error);
        Assert.False(batch.IsFinal);
        Assert.False(batch.AllSucceeded);
    }

    [Fact]
    public async Task A_failed_batch_is_final_and_its_error_reads_as_the_api_writes_it()
    {
        var failed = BatchJson("failed", 0).Replace("\"metadata\":{}", "\"metadata\":{},\"error\":{\"code\":\"input_invalid\",\"message\":\"No valid line.\"}", StringComparison.Ordinal);
        _api.Map(HttpMethod.Get, Batch, FanoutApiHandler.Json(HttpStatusCode.OK, failed));
        using var client = _api.CreateClient();

        var batch = await client.GetAsync("b1", CancellationToken.None);

        Assert.True(batch.IsFinal);
        Assert.Equal("""{"code":"input_invalid","message":"No valid line."}""", batch.Error!.ToString());
    }

    [Fact]
    public async Task List_reads_a_page_and_the_same_page_as_written()
    {
        var page = $$"""{"object": "list", "data": [{{BatchJson("completed", 3)}}], "has_more": true, "first_id": "b1", "last_id": "b1"}""";
        _api.Map(HttpMethod.Get, "/api/batches?limit=1&after=b0", FanoutApiHandler.Json(HttpStatusCode.OK, page));
        using var client = _api.CreateClient();

        var typed = await client.ListAsync(1, "b0", CancellationToken.None);
        var raw = await client.ListJsonAsync(1, "b0", CancellationToken.None);

        Assert.True(typed.HasMore);
        Assert.Equal(["b1"], typed.Data.Select(b => b.Id));
        Assert.Equal(page, raw.GetRawText());
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _api.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A batch object as the service writes it (snake_case, one line).</summary>
    private static string BatchJson(string status, int completed) =>
        $$$"""{"id":"b1","object":"batch","status":"{{{status}}}","created_at":1764000000,"completed_at":null,"max_concurrency":4,"deployment":"d","request_counts":{"total":3,"completed":{{{completed}}},"failed":0,"cached":0},"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3},"output_blob":"o","error_blob":"e","metadata":{}}""";

    private static async Task<List<FanoutBatch>> ToListAsync(IAsyncEnumerable<FanoutBatch> batches)
    {
        var list = new List<FanoutBatch>();
        await foreach (var batch in batches)
        {
            list.Add(batch);
        }

        return list;
    }
}
