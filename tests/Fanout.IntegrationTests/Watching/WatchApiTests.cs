using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fanout.IntegrationTests.EndToEnd;
using Xunit;

namespace Fanout.IntegrationTests.Watching;

/// <summary>"Watching a batch" of API.md over HTTP, against the portable host as its own process.</summary>
public sealed class WatchApiTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private static readonly string[] StatusOrder = ["validating", "in_progress", "finalizing", "completed"];

    private HttpClient Http => fixture.Host.Http;

    [Fact]
    public async Task Event_stream_sends_progress_until_the_final_status_then_ends()
    {
        fixture.Simulator.Options.LatencyMs = 40;
        try
        {
            var id = await SubmitAsync(80, maxConcurrency: 4);

            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/batches/{id}/events");
            using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            var events = await ReadEventsAsync(response);

            Assert.All(events, e => Assert.Equal("progress", e.Name));
            var batches = events.Select(e => e.Data).ToList();
            Assert.All(batches, b => Assert.Equal(id, b.GetProperty("id").GetString()));
            Assert.Equal("completed", batches[^1].GetProperty("status").GetString());
            Assert.All(batches[..^1], b => Assert.NotEqual("completed", b.GetProperty("status").GetString()));
            var statuses = batches.Select(b => Array.IndexOf(StatusOrder, b.GetProperty("status").GetString())).ToList();
            Assert.DoesNotContain(-1, statuses);
            Assert.Equal(statuses.Order(), statuses);
            var done = batches.Select(b => b.GetProperty("request_counts").GetProperty("completed").GetInt32()).ToList();
            Assert.Equal(done.Order(), done);
            Assert.Equal(80, done[^1]);

            // Several events while it ran, each with the live figures.
            var running = batches.Where(b => b.GetProperty("status").GetString() == "in_progress").ToList();
            Assert.True(running.Count >= 2, $"{running.Count} in_progress events");
            Assert.All(running, b => Assert.True(b.GetProperty("progress").GetProperty("window_seconds").GetDouble() > 0));
            Assert.Contains(running, b => b.GetProperty("progress").GetProperty("lines_per_second").GetDouble() > 0
                && b.GetProperty("progress").GetProperty("tokens_per_minute").GetDouble() > 0
                && b.GetProperty("progress").GetProperty("eta_seconds").GetDouble() > 0);
            Assert.Equal(0, batches[^1].GetProperty("progress").GetProperty("eta_seconds").GetDouble());
        }
        finally
        {
            fixture.Simulator.Options.LatencyMs = 10;
        }
    }

    [Fact]
    public async Task Event_stream_of_a_finished_batch_sends_its_final_status_once()
    {
        var id = await SubmitAsync(3, maxConcurrency: 3);
        await WaitAsync(id);

        using var response = await Http.GetAsync($"/api/batches/{id}/events", HttpCompletionOption.ResponseHeadersRead);
        var events = await ReadEventsAsync(response);

        var only = Assert.Single(events);
        Assert.Equal("completed", only.Data.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Partial_results_grow_in_input_order_and_never_show_a_line_before_an_unfinished_one()
    {
        fixture.Simulator.Options.LatencyMs = 30;
        fixture.Simulator.Options.LatencyJitterMs = 60;
        try
        {
            const int total = 120;
            var id = await SubmitAsync(total, maxConcurrency: 6);
            var seen = new List<int>();
            List<string> last = [];
            while (true)
            {
                using var response = await Http.GetAsync($"/api/batches/{id}/results?partial=true");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("application/jsonl", response.Content.Headers.ContentType?.MediaType);
                var complete = bool.Parse(response.Headers.GetValues("Fanout-Complete").Single());
                var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
                var ids = lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()).ToList();

                // Exactly lines 0..k-1, in order; the earlier answer's lines are unchanged.
                Assert.Equal(Enumerable.Range(0, ids.Count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), ids);
                Assert.True(lines.Length >= last.Count, $"the prefix shrank from {last.Count} to {lines.Length}");
                Assert.Equal(last, lines.Take(last.Count));
                last = [.. lines];
                seen.Add(lines.Length);
                if (complete)
                {
                    break;
                }

                await Task.Delay(50);
            }

            Assert.Equal(total, seen[^1]);
            Assert.Contains(seen, n => n > 0 && n < total);
            var final = await Http.GetStringAsync($"/api/batches/{id}/results");
            Assert.Equal(final.Split('\n', StringSplitOptions.RemoveEmptyEntries), last);
        }
        finally
        {
            fixture.Simulator.Options.LatencyMs = 10;
            fixture.Simulator.Options.LatencyJitterMs = 0;
        }
    }

    [Fact]
    public async Task List_pages_through_batches_newest_first()
    {
        var mine = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            mine.Add(await SubmitAsync(2, maxConcurrency: 2));
        }

        var listed = new List<string>();
        string? after = null;
        while (true)
        {
            var page = await GetJsonAsync($"/api/batches?limit=2{(after is null ? string.Empty : "&after=" + after)}");
            Assert.Equal("list", page.GetProperty("object").GetString());
            var data = page.GetProperty("data").EnumerateArray().ToList();
            Assert.InRange(data.Count, 1, 2);
            Assert.All(data, b => Assert.Equal("batch", b.GetProperty("object").GetString()));
            listed.AddRange(data.Select(b => b.GetProperty("id").GetString()!));
            if (!page.GetProperty("has_more").GetBoolean())
            {
                break;
            }

            after = data[^1].GetProperty("id").GetString();
        }

        Assert.Equal(listed.Distinct(), listed);
        Assert.DoesNotContain(listed, i => i.Contains('~', StringComparison.Ordinal));
        Assert.Equal([mine[2], mine[1], mine[0]], listed.Where(mine.Contains));
        Assert.Equal(mine[2], listed[0]);
    }

    [Theory]
    [InlineData("/api/batches?limit=0", HttpStatusCode.BadRequest, "invalid_parameter")]
    [InlineData("/api/batches?limit=abc", HttpStatusCode.BadRequest, "invalid_parameter")]
    [InlineData("/api/batches?after=no_such_batch", HttpStatusCode.NotFound, "batch_not_found")]
    [InlineData("/api/batches/no_such_batch/events", HttpStatusCode.NotFound, "batch_not_found")]
    [InlineData("/api/batches/no_such_batch/results?partial=true", HttpStatusCode.NotFound, "batch_not_found")]
    [InlineData("/api/batches/some_batch/results?partial=maybe", HttpStatusCode.BadRequest, "invalid_parameter")]
    public async Task Bad_watch_requests_get_a_precise_error(string path, HttpStatusCode status, string code)
    {
        using var response = await Http.GetAsync(path);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{(int)response.StatusCode}: {text}");
        Assert.Equal(code, JsonDocument.Parse(text).RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Healthz_answers_200_when_storage_and_the_durable_backend_answer()
    {
        var health = await GetJsonAsync("/healthz");

        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal("ok", health.GetProperty("storage").GetString());
        Assert.Equal("ok", health.GetProperty("durable").GetString());
    }

    /// <summary>A server-sent event.</summary>
    public sealed record SseEvent(string Name, JsonElement Data);

    /// <summary>Reads events until the server ends the stream.</summary>
    public static async Task<List<SseEvent>> ReadEventsAsync(HttpResponseMessage response)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<SseEvent>();
        string? name = null;
        string? data = null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.Length == 0)
            {
                if (data is not null)
                {
                    events.Add(new SseEvent(name ?? "message", JsonDocument.Parse(data).RootElement.Clone()));
                }

                (name, data) = (null, null);
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = line["data: ".Length..];
            }
        }

        return events;
    }

    private async Task<string> SubmitAsync(int prompts, int maxConcurrency)
    {
        using var response = await Http.PostAsJsonAsync("/api/batches", new { prompts = Enumerable.Range(0, prompts).Select(i => $"Watch {Guid.NewGuid():N} {i}"), maxConcurrency });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await Http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task WaitAsync(string id)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (DateTime.UtcNow < deadline)
        {
            if ((await GetJsonAsync($"/api/batches/{id}")).GetProperty("status").GetString() is "completed" or "failed" or "cancelled")
            {
                return;
            }

            await Task.Delay(150);
        }

        throw new TimeoutException($"Batch {id} did not finish.\n{fixture.Host.Output}");
    }
}
