using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Fanout.Core.Api;
using Fanout.IntegrationTests.Infrastructure;
using Fanout.Simulator;
using Xunit;

namespace Fanout.IntegrationTests.EndToEnd;

/// <summary>The public HTTP API of API.md, through HttpClient, against the portable host running as its own process.</summary>
public sealed class HttpApiTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private HttpClient Http => fixture.Host.Http;

    [Fact]
    public async Task Json_prompts_submit_answers_202_with_location_and_results_come_back_in_order()
    {
        var prompts = Enumerable.Range(0, 30).Select(i => $"Question {i}?").ToArray();

        using var response = await Http.PostAsJsonAsync("/api/batches", new { prompts, maxConcurrency = 5, metadata = new { team = "qa" } });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var batch = await ReadJsonAsync(response);
        var id = batch.GetProperty("id").GetString()!;
        Assert.Equal($"/api/batches/{id}", response.Headers.Location?.ToString());
        Assert.Equal("batch", batch.GetProperty("object").GetString());
        Assert.Equal(5, batch.GetProperty("max_concurrency").GetInt32());
        Assert.Equal(30, batch.GetProperty("request_counts").GetProperty("total").GetInt32());
        Assert.Equal("qa", batch.GetProperty("metadata").GetProperty("team").GetString());
        Assert.Equal($"{fixture.OutputContainer}/{id}/output.jsonl", batch.GetProperty("output_blob").GetString());

        var done = await WaitAsync(id);
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.True(done.GetProperty("completed_at").GetInt64() >= done.GetProperty("created_at").GetInt64());
        Assert.True(done.GetProperty("usage").GetProperty("total_tokens").GetInt64() > 0);
        var lines = await GetLinesAsync($"/api/batches/{id}/results");
        Assert.Equal(Enumerable.Range(0, 30).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), lines.Select(l => l.GetProperty("custom_id").GetString()));
        Assert.All(lines, (l, i) => Assert.Equal(SimulatorResponder.ContentFor(prompts[i]), Content(l)));
    }

    [Fact]
    public async Task Jsonl_submit_takes_deployment_and_cap_from_the_query()
    {
        using var content = Jsonl(FanoutTestApp.Jsonl(12));

        using var response = await Http.PostAsync("/api/batches?deployment=my-deploy&maxConcurrency=3", content);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var batch = await ReadJsonAsync(response);
        Assert.Equal("my-deploy", batch.GetProperty("deployment").GetString());
        Assert.Equal(3, batch.GetProperty("max_concurrency").GetInt32());
        var done = await WaitAsync(batch.GetProperty("id").GetString()!);
        Assert.Equal(12, done.GetProperty("request_counts").GetProperty("completed").GetInt32());
    }

    [Theory]
    [InlineData("application/x-ndjson")]
    [InlineData("application/jsonl; charset=utf-8")]
    public async Task Jsonl_content_type_variants_are_accepted(string contentType)
    {
        using var content = new ByteArrayContent(FanoutTestApp.Jsonl(2));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var response = await Http.PostAsync("/api/batches", content);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task Same_idempotency_key_returns_the_same_batch_and_runs_it_once()
    {
        var key = Guid.NewGuid().ToString();
        var prompts = new[] { $"idempotent {key} a", $"idempotent {key} b" };
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/batches") { Content = JsonContent.Create(new { prompts }) };
            request.Headers.Add("Idempotency-Key", key);
            using var response = await Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            ids.Add((await ReadJsonAsync(response)).GetProperty("id").GetString()!);
        }

        Assert.Single(ids.Distinct());
        await WaitAsync(ids[0]);
        var lines = await GetLinesAsync($"/api/batches/{ids[0]}/results");
        Assert.Equal(2, lines.Count);
    }

    [Fact]
    public async Task Status_progresses_with_counts_until_completed()
    {
        fixture.Simulator.Options.LatencyMs = 60;
        try
        {
            using var response = await Http.PostAsJsonAsync("/api/batches", new { prompts = Enumerable.Range(0, 40).Select(i => $"progress {i}"), maxConcurrency = 2 });
            var id = (await ReadJsonAsync(response)).GetProperty("id").GetString()!;
            var seen = new List<(string Status, int Done)>();
            JsonElement batch;
            do
            {
                batch = await GetJsonAsync($"/api/batches/{id}");
                var counts = batch.GetProperty("request_counts");
                seen.Add((batch.GetProperty("status").GetString()!, counts.GetProperty("completed").GetInt32() + counts.GetProperty("failed").GetInt32()));
                await Task.Delay(100);
            }
            while (batch.GetProperty("status").GetString() is not ("completed" or "failed"));

            Assert.Contains(seen, s => s.Status == "in_progress" && s.Done > 0 && s.Done < 40);
            Assert.Equal(seen.Select(s => s.Done).Order(), seen.Select(s => s.Done));
            Assert.Equal(("completed", 40), seen[^1]);
        }
        finally
        {
            fixture.Simulator.Options.LatencyMs = 10;
        }
    }

    [Fact]
    public async Task Errors_endpoint_returns_only_failed_lines_in_input_order()
    {
        var good = Encoding.UTF8.GetString(FanoutTestApp.Jsonl(4)).Split('\n');
        var body = string.Join('\n', good[0], "{\"custom_id\": 5}", good[1], "[1,2]", good[2], good[3]) + "\n";
        using var response = await Http.PostAsync("/api/batches", Jsonl(Encoding.UTF8.GetBytes(body)));
        var id = (await ReadJsonAsync(response)).GetProperty("id").GetString()!;

        var done = await WaitAsync(id);

        Assert.Equal(4, done.GetProperty("request_counts").GetProperty("completed").GetInt32());
        Assert.Equal(2, done.GetProperty("request_counts").GetProperty("failed").GetInt32());
        var results = await GetLinesAsync($"/api/batches/{id}/results");
        Assert.Equal(6, results.Count);
        var errors = await GetLinesAsync($"/api/batches/{id}/errors");
        Assert.Equal(["invalid_custom_id", "invalid_json_line"], errors.Select(e => e.GetProperty("error").GetProperty("code").GetString()));
    }

    [Fact]
    public async Task Cancel_stops_new_calls_and_keeps_finished_results()
    {
        fixture.Simulator.Options.LatencyMs = 100;
        try
        {
            using var response = await Http.PostAsJsonAsync("/api/batches", new { prompts = Enumerable.Range(0, 300).Select(i => $"cancel me {i}"), maxConcurrency = 2 });
            var id = (await ReadJsonAsync(response)).GetProperty("id").GetString()!;
            JsonElement batch;
            do
            {
                await Task.Delay(100);
                batch = await GetJsonAsync($"/api/batches/{id}");
            }
            while (batch.GetProperty("request_counts").GetProperty("completed").GetInt32() < 4);

            using var cancel = await Http.PostAsync($"/api/batches/{id}/cancel", null);
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
            Assert.Equal("cancelling", (await ReadJsonAsync(cancel)).GetProperty("status").GetString());

            var done = await WaitAsync(id);
            Assert.Equal("cancelled", done.GetProperty("status").GetString());
            var completed = done.GetProperty("request_counts").GetProperty("completed").GetInt32();
            Assert.InRange(completed, 4, 100);
            var lines = await GetLinesAsync($"/api/batches/{id}/results");
            Assert.Equal(300, lines.Count);
            Assert.Equal(completed, lines.Count(l => l.GetProperty("error").ValueKind == JsonValueKind.Null));
            using var again = await Http.PostAsync($"/api/batches/{id}/cancel", null);
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        }
        finally
        {
            fixture.Simulator.Options.LatencyMs = 10;
        }
    }

    [Fact]
    public async Task Results_of_an_unfinished_batch_are_409()
    {
        fixture.Simulator.Options.LatencyMs = 200;
        try
        {
            using var response = await Http.PostAsJsonAsync("/api/batches", new { prompts = Enumerable.Range(0, 20).Select(i => $"slow {i}"), maxConcurrency = 1 });
            var id = (await ReadJsonAsync(response)).GetProperty("id").GetString()!;

            using var results = await Http.GetAsync($"/api/batches/{id}/results");

            await AssertErrorAsync(results, HttpStatusCode.Conflict, "batch_not_finished");
            using var cancel = await Http.PostAsync($"/api/batches/{id}/cancel", null);
        }
        finally
        {
            fixture.Simulator.Options.LatencyMs = 10;
        }
    }

    [Theory]
    [InlineData("/api/batches/batch_doesnotexist", "batch_not_found", HttpStatusCode.NotFound)]
    [InlineData("/api/batches/batch_doesnotexist/results", "batch_not_found", HttpStatusCode.NotFound)]
    [InlineData("/api/batches/batch_doesnotexist/errors", "batch_not_found", HttpStatusCode.NotFound)]
    [InlineData("/api/batches/..%2F..%2Fetc%2Fpasswd", "invalid_batch_id", HttpStatusCode.BadRequest)]
    [InlineData("/api/batches/a~b", "invalid_batch_id", HttpStatusCode.BadRequest)]
    public async Task Unknown_or_malformed_batch_ids_get_a_precise_error(string path, string code, HttpStatusCode status)
    {
        using var response = await Http.GetAsync(path);

        await AssertErrorAsync(response, status, code);
    }

    [Theory]
    [InlineData("maxConcurrency=0")]
    [InlineData("maxConcurrency=-3")]
    [InlineData("maxConcurrency=1001")]
    [InlineData("maxConcurrency=abc")]
    [InlineData("maxConcurrency=99999999999999")]
    [InlineData("deployment=..%2Fx")]
    [InlineData("deployment=")]
    public async Task Bad_query_parameters_are_400_naming_the_parameter(string query)
    {
        using var response = await Http.PostAsync($"/api/batches?{query}", Jsonl(FanoutTestApp.Jsonl(1)));

        var error = await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_parameter");
        Assert.Contains(query.Split('=')[0], error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"prompts": []}""", "empty_batch")]
    [InlineData("""{"prompts": "hi"}""", "invalid_body")]
    [InlineData("""{"prompts": ["a", 3]}""", "invalid_body")]
    [InlineData("""{"prompts": ["a"], "maxConcurrency": 0}""", "invalid_body")]
    [InlineData("""{"prompts": ["a"], "maxConcurrency": "8"}""", "invalid_body")]
    [InlineData("""{"prompts": ["a"], "metadata": {"k": 1}}""", "invalid_body")]
    [InlineData("""{"prompts": ["a"]""", "invalid_body")]
    [InlineData("""[1, 2]""", "invalid_body")]
    [InlineData("", "invalid_body")]
    public async Task Bad_json_bodies_are_400(string body, string code)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");

        using var response = await Http.PostAsync("/api/batches", content);

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, code);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n\n")]
    public async Task Empty_jsonl_is_400(string body)
    {
        using var response = await Http.PostAsync("/api/batches", Jsonl(Encoding.UTF8.GetBytes(body)));

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "empty_batch");
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData(null)]
    public async Task Unsupported_content_types_are_415(string? contentType)
    {
        using var content = new ByteArrayContent(FanoutTestApp.Jsonl(1));
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        using var response = await Http.PostAsync("/api/batches", content);

        await AssertErrorAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Oversized_body_is_413_and_names_the_limit(bool chunked)
    {
        // Larger than MaxBytes plus any slack, so the server answers before it has read the whole body: the client must
        // still read the 413 (the host drains the rest) rather than a broken pipe.
        var big = FanoutTestApp.Jsonl(12_000, i => new string('x', 300) + i);
        Assert.True(big.Length > HostFixture.MaxBytes * 1.5);
        HttpContent content = chunked ? new StreamContent(new MemoryStream(big)) : new ByteArrayContent(big);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/batches") { Content = content };
        request.Headers.TransferEncodingChunked = chunked;
        using var response = await Http.SendAsync(request);

        var message = await AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "batch_too_large");
        Assert.Contains(HostFixture.MaxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), message, StringComparison.Ordinal);
        using var health = await Http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task Blob_drop_starts_one_batch_per_name_and_content()
    {
        var container = new BlobContainerClient(fixture.ConnectionString, fixture.InputContainer);
        await container.CreateIfNotExistsAsync();
        var content = FanoutTestApp.Jsonl(7, i => $"dropped {i}");
        var hash = Convert.ToHexStringLower(SHA256.HashData(content))[..16];
        var id = BatchIds.FromBlob("my batch.jsonl", hash);

        var requestsBefore = fixture.Simulator.Stats.Requests;
        await container.GetBlobClient("my batch.jsonl").UploadAsync(new BinaryData(content), overwrite: true);
        var done = await WaitAsync(id, appear: true);
        await container.GetBlobClient("my batch.jsonl").UploadAsync(new BinaryData(content), overwrite: true);
        await Task.Delay(1500);

        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal(7, done.GetProperty("request_counts").GetProperty("completed").GetInt32());
        var lines = await GetLinesAsync($"/api/batches/{id}/results");
        Assert.Equal(Enumerable.Range(0, 7).Select(i => SimulatorResponder.ContentFor($"dropped {i}")), lines.Select(Content));
        var output = new BlobContainerClient(fixture.ConnectionString, fixture.OutputContainer);
        Assert.True(await output.GetBlobClient($"{id}/batch.json").ExistsAsync());
        Assert.Equal(7, fixture.Simulator.Stats.Requests - requestsBefore);
    }

    [Fact]
    public async Task Blob_drop_of_a_mixed_file_runs_the_valid_lines_and_reports_the_rest_per_line()
    {
        var good = FanoutTestApp.Jsonl(2, i => $"mixed drop {i}");
        var newline = Array.IndexOf(good, (byte)'\n');
        byte[] content = [.. good.AsSpan(0, newline + 1), .. "{broken\n"u8, .. "{\"custom_id\":\"x\xC3\x28\"}\n"u8, .. good.AsSpan(newline + 1)];
        content[newline + 1 + 8 + 15] = 0xC3;
        content[newline + 1 + 8 + 16] = 0x28;
        var container = new BlobContainerClient(fixture.ConnectionString, fixture.InputContainer);
        await container.CreateIfNotExistsAsync();
        var id = BatchIds.FromBlob("mixed.jsonl", Convert.ToHexStringLower(SHA256.HashData(content))[..16]);

        await container.GetBlobClient("mixed.jsonl").UploadAsync(new BinaryData(content), overwrite: true);
        var done = await WaitAsync(id, appear: true);

        Assert.Equal("completed", done.GetProperty("status").GetString());
        var errors = await GetLinesAsync($"/api/batches/{id}/errors");
        Assert.Equal(["invalid_json_line", "invalid_json_line"], errors.Select(e => e.GetProperty("error").GetProperty("code").GetString()));
        var lines = await GetLinesAsync($"/api/batches/{id}/results");
        Assert.Equal(4, lines.Count);
        Assert.Equal(SimulatorResponder.ContentFor("mixed drop 1"), Content(lines[3]));
    }

    [Fact]
    public async Task Blob_drop_of_an_empty_file_fails_the_batch_with_a_clear_error()
    {
        var container = new BlobContainerClient(fixture.ConnectionString, fixture.InputContainer);
        await container.CreateIfNotExistsAsync();
        byte[] content = [.. "\n\n"u8];
        var id = BatchIds.FromBlob("empty.jsonl", Convert.ToHexStringLower(SHA256.HashData(content))[..16]);

        await container.GetBlobClient("empty.jsonl").UploadAsync(new BinaryData(content), overwrite: true);
        var done = await WaitAsync(id, appear: true);

        Assert.Equal("failed", done.GetProperty("status").GetString());
        Assert.Equal("empty_batch", done.GetProperty("error").GetProperty("code").GetString());
        var output = new BlobContainerClient(fixture.ConnectionString, fixture.OutputContainer);
        Assert.True(await output.GetBlobClient($"{id}/batch.json").ExistsAsync());
    }

    [Fact]
    public async Task Jsonl_with_invalid_utf8_and_an_oversized_line_still_runs_its_valid_lines()
    {
        var good = FanoutTestApp.Jsonl(2, i => $"utf8 {i}");
        var newline = Array.IndexOf(good, (byte)'\n');
        var huge = Encoding.UTF8.GetBytes("{\"custom_id\":\"big\",\"body\":\"" + new string('y', 1024 * 1024 + 10) + "\"}\n");
        byte[] body = [.. good.AsSpan(0, newline + 1), 0xFF, 0xFE, (byte)'\n', .. huge, .. good.AsSpan(newline + 1)];

        using var response = await Http.PostAsync("/api/batches", Jsonl(body));
        var id = (await ReadJsonAsync(response)).GetProperty("id").GetString()!;
        var done = await WaitAsync(id);

        Assert.Equal(2, done.GetProperty("request_counts").GetProperty("completed").GetInt32());
        var errors = await GetLinesAsync($"/api/batches/{id}/errors");
        Assert.Equal(["invalid_json_line", "line_too_large"], errors.Select(e => e.GetProperty("error").GetProperty("code").GetString()));
        using var health = await Http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    private static ByteArrayContent Jsonl(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        return content;
    }

    private static string? Content(JsonElement line)
        => line.GetProperty("response").GetProperty("body").GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<string> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        var message = error.GetProperty("message").GetString()!;
        Assert.DoesNotContain("   at ", message, StringComparison.Ordinal);
        return message;
    }

    private async Task<JsonElement> GetJsonAsync(string path) => await ReadJsonAsync(await Http.GetAsync(path));

    private async Task<List<JsonElement>> GetLinesAsync(string path)
    {
        using var response = await Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/jsonl", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }

    private async Task<JsonElement> WaitAsync(string id, bool appear = false)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (DateTime.UtcNow < deadline)
        {
            using var response = await Http.GetAsync($"/api/batches/{id}");
            if (response.StatusCode == HttpStatusCode.NotFound && appear)
            {
                await Task.Delay(200);
                continue;
            }

            var batch = await ReadJsonAsync(response);
            if (batch.GetProperty("status").GetString() is "completed" or "failed" or "cancelled")
            {
                return batch;
            }

            await Task.Delay(150);
        }

        throw new TimeoutException($"Batch {id} did not finish.\n{fixture.Host.Output}");
    }
}
