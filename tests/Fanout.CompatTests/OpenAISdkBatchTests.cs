using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fanout.Simulator;
using OpenAI.Files;
using Xunit;
using static Fanout.CompatTests.CompatHostFixture;

namespace Fanout.CompatTests;

/// <summary>Existing OpenAI batch code, on the official OpenAI .NET SDK, against the portable host: only the base URL and key change.</summary>
public sealed class OpenAISdkBatchTests(CompatHostFixture fixture) : IClassFixture<CompatHostFixture>
{
    private static readonly string[] Progression = ["validating", "in_progress", "finalizing", "completed"];

    [Fact]
    public async Task A_token_budget_on_create_stops_sending_and_the_unsent_lines_are_budget_exceeded()
    {
        var lines = Enumerable.Range(0, 40).Select(i => ChatLine($"b-{i}", $"Budget question {i}?")).ToList();
        var file = await fixture.UploadAsync(lines, "budget.jsonl");
        var created = await fixture.CreateBatchAsync(file.Id, extra: new { max_concurrency = 2, max_total_tokens = 300 });
        Assert.Equal(300, created.GetProperty("max_total_tokens").GetInt64());

        var (_, done) = await fixture.WaitAsync(created.GetProperty("id").GetString()!);

        Assert.Equal("completed", done.GetProperty("status").GetString());
        var counts = done.GetProperty("request_counts");
        Assert.Equal(40, counts.GetProperty("completed").GetInt32() + counts.GetProperty("failed").GetInt32());
        var errors = await fixture.DownloadLinesAsync(done.GetProperty("error_file_id").GetString()!);
        Assert.NotEmpty(errors);
        Assert.All(errors, l => Assert.Equal("budget_exceeded", l.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal(counts.GetProperty("failed").GetInt32(), errors.Count);
    }

    [Fact]
    public async Task Upload_create_poll_and_download_gives_successes_and_failures_split_in_input_order()
    {
        var lines = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            lines.Add(i switch
            {
                2 => ChatLine("q-2", "wrong url", url: "/v1/embeddings"),
                4 => """{"custom_id": "q-4", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o-mini", "messages": []}}""",
                _ => ChatLine($"q-{i}", $"Question {i}?"),
            });
        }

        var file = await fixture.UploadAsync(lines, "questions.jsonl");
        Assert.StartsWith("file-", file.Id, StringComparison.Ordinal);
        Assert.Equal("questions.jsonl", file.Filename);
        Assert.Equal(FilePurpose.Batch, file.Purpose);
        Assert.Equal(lines.Sum(l => l.Length + 1), file.SizeInBytes);

        var created = await fixture.CreateBatchAsync(file.Id, extra: new { metadata = new { team = "qa" }, max_concurrency = 3 });
        Assert.Equal("batch", created.GetProperty("object").GetString());
        Assert.Equal("validating", created.GetProperty("status").GetString());
        Assert.Equal(file.Id, created.GetProperty("input_file_id").GetString());
        Assert.Equal("/v1/chat/completions", created.GetProperty("endpoint").GetString());
        Assert.Equal("24h", created.GetProperty("completion_window").GetString());
        Assert.Equal(3, created.GetProperty("max_concurrency").GetInt32());
        var id = created.GetProperty("id").GetString()!;

        var (seen, done) = await fixture.WaitAsync(id);

        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal(seen, seen.OrderBy(s => Array.IndexOf(Progression, s)));
        Assert.All(seen, s => Assert.Contains(s, Progression));
        Assert.Equal(JsonValueKind.Null, done.GetProperty("errors").ValueKind);
        Assert.Equal("qa", done.GetProperty("metadata").GetProperty("team").GetString());
        var counts = done.GetProperty("request_counts");
        Assert.Equal((10, 8, 2), (counts.GetProperty("total").GetInt32(), counts.GetProperty("completed").GetInt32(), counts.GetProperty("failed").GetInt32()));
        Assert.True(done.GetProperty("usage").GetProperty("input_tokens").GetInt64() > 0);
        Assert.True(done.GetProperty("completed_at").GetInt64() >= done.GetProperty("created_at").GetInt64());

        var output = await fixture.DownloadLinesAsync(done.GetProperty("output_file_id").GetString()!);
        int[] answered = [0, 1, 3, 5, 6, 7, 8, 9];
        Assert.Equal(answered.Select(i => $"q-{i}"), output.Select(l => l.GetProperty("custom_id").GetString()));
        Assert.All(output, (l, k) => Assert.Equal(
            SimulatorResponder.ContentFor($"Question {answered[k]}?"),
            l.GetProperty("response").GetProperty("body").GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()));
        Assert.All(output, l => Assert.Equal(200, l.GetProperty("response").GetProperty("status_code").GetInt32()));

        var errors = await fixture.DownloadLinesAsync(done.GetProperty("error_file_id").GetString()!);
        Assert.Equal(["q-2", "q-4"], errors.Select(l => l.GetProperty("custom_id").GetString()));
        Assert.Equal(["invalid_url", "invalid_body"], errors.Select(l => l.GetProperty("error").GetProperty("code").GetString()));

        var outputFile = (await fixture.Files.GetFileAsync(done.GetProperty("output_file_id").GetString()!)).Value;
        var errorFile = (await fixture.Files.GetFileAsync(done.GetProperty("error_file_id").GetString()!)).Value;
        Assert.Equal(FilePurpose.BatchOutput, outputFile.Purpose);
        Assert.Equal((await fixture.Files.DownloadFileAsync(outputFile.Id)).Value.ToArray().Length, outputFile.SizeInBytes);
        Assert.Equal((await fixture.Files.DownloadFileAsync(errorFile.Id)).Value.ToArray().Length, errorFile.SizeInBytes);
        Assert.Contains((await fixture.Files.GetFilesAsync()).Value, f => f.Id == file.Id);

        // One store: the same batch under the native API, whose results stay when the OpenAI output file is deleted.
        var native = await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/batches/{id}");
        Assert.Equal("completed", native.GetProperty("status").GetString());
        Assert.Equal(8, native.GetProperty("request_counts").GetProperty("completed").GetInt32());
        Assert.True((await fixture.Files.DeleteFileAsync(outputFile.Id)).Value.Deleted);
        Assert.Equal(404, (await Assert.ThrowsAsync<ClientResultException>(() => fixture.Files.GetFileAsync(outputFile.Id))).Status);
        Assert.Equal(10, Lines(await fixture.Http.GetStringAsync($"/api/batches/{id}/results")).Count);
    }

    [Fact]
    public async Task Batches_list_newest_first_in_pages_with_after_and_limit()
    {
        var file = await fixture.UploadAsync([ChatLine("only", "page me")]);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await fixture.CreateBatchAsync(file.Id)).GetProperty("id").GetString()!);
        }

        var first = await fixture.Http.GetFromJsonAsync<JsonElement>("/v1/batches?limit=2");
        Assert.Equal("list", first.GetProperty("object").GetString());
        Assert.Equal([ids[2], ids[1]], first.GetProperty("data").EnumerateArray().Select(b => b.GetProperty("id").GetString()));
        Assert.Equal(ids[2], first.GetProperty("first_id").GetString());
        Assert.Equal(ids[1], first.GetProperty("last_id").GetString());
        Assert.True(first.GetProperty("has_more").GetBoolean());

        var second = await fixture.Http.GetFromJsonAsync<JsonElement>($"/v1/batches?limit=2&after={ids[1]}");
        Assert.Equal(ids[0], second.GetProperty("data")[0].GetProperty("id").GetString());

        // The SDK follows has_more / last_id through every page.
        var seen = new List<string>();
        await foreach (var page in fixture.Batches.GetBatchesAsync(after: null, limit: 2, new RequestOptions()).GetRawPagesAsync())
        {
            seen.AddRange(Parse(page.GetRawResponse().Content).GetProperty("data").EnumerateArray().Select(b => b.GetProperty("id").GetString()!));
        }

        Assert.Equal([ids[2], ids[1], ids[0]], seen.Where(ids.Contains));
        Assert.Equal(seen.Distinct(), seen);
        foreach (var id in ids)
        {
            await fixture.WaitAsync(id);
        }
    }

    [Fact]
    public async Task Cancel_mid_batch_keeps_finished_lines_and_the_input_file_cannot_be_deleted_while_it_runs()
    {
        var latency = fixture.Simulator.Options.LatencyMs;
        fixture.Simulator.Options.LatencyMs = 300;
        try
        {
            var file = await fixture.UploadAsync(Enumerable.Range(0, 30).Select(i => ChatLine($"c-{i}", $"Slow {i}")));
            var id = (await fixture.CreateBatchAsync(file.Id, extra: new { max_concurrency = 2 })).GetProperty("id").GetString()!;
            var deadline = DateTime.UtcNow.AddMinutes(1);
            while ((await fixture.GetBatchAsync(id)).GetProperty("request_counts").GetProperty("completed").GetInt32() < 2)
            {
                Assert.True(DateTime.UtcNow < deadline, "No line finished within a minute.");
                await Task.Delay(100);
            }

            var inUse = await Assert.ThrowsAsync<ClientResultException>(() => fixture.Files.DeleteFileAsync(file.Id));
            Assert.Equal(409, inUse.Status);

            var operation = await OpenAI.Batch.CreateBatchOperation.RehydrateAsync(fixture.Batches, id);
            var cancelling = Parse((await operation.CancelAsync(new RequestOptions())).GetRawResponse().Content);
            Assert.Equal("cancelling", cancelling.GetProperty("status").GetString());
            var (_, done) = await fixture.WaitAsync(id);

            Assert.Equal("cancelled", done.GetProperty("status").GetString());
            Assert.True(done.GetProperty("cancelled_at").GetInt64() > 0);
            var output = await fixture.DownloadLinesAsync(done.GetProperty("output_file_id").GetString()!);
            var errors = await fixture.DownloadLinesAsync(done.GetProperty("error_file_id").GetString()!);
            Assert.InRange(output.Count, 2, 29);
            Assert.Equal(30, output.Count + errors.Count);
            Assert.All(errors, l => Assert.Equal("batch_cancelled", l.GetProperty("error").GetProperty("code").GetString()));
            foreach (var part in new[] { output, errors })
            {
                var order = part.Select(l => int.Parse(l.GetProperty("custom_id").GetString()!["c-".Length..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
                Assert.Equal(order.Order(), order);
            }

            var deleted = (await fixture.Files.DeleteFileAsync(file.Id)).Value;
            Assert.True(deleted.Deleted);
            var gone = await Assert.ThrowsAsync<ClientResultException>(() => fixture.Files.GetFileAsync(file.Id));
            Assert.Equal(404, gone.Status);
        }
        finally
        {
            fixture.Simulator.Options.LatencyMs = latency;
        }
    }

    [Fact]
    public async Task An_empty_file_or_an_unsupported_endpoint_fails_the_batch_with_errors()
    {
        var empty = (await fixture.Files.UploadFileAsync(BinaryData.FromString(string.Empty), "empty.jsonl", FileUploadPurpose.Batch)).Value;
        var good = await fixture.UploadAsync([ChatLine("x", "fine")]);
        var cases = new[] { (empty.Id, "/v1/chat/completions", "empty_batch"), (good.Id, "/v1/completions", "invalid_endpoint") };

        foreach (var (fileId, endpoint, code) in cases)
        {
            var id = (await fixture.CreateBatchAsync(fileId, endpoint)).GetProperty("id").GetString()!;
            var (_, done) = await fixture.WaitAsync(id);

            Assert.Equal("failed", done.GetProperty("status").GetString());
            var error = done.GetProperty("errors").GetProperty("data")[0];
            Assert.Equal("list", done.GetProperty("errors").GetProperty("object").GetString());
            Assert.Equal(code, error.GetProperty("code").GetString());
            Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
            Assert.True(done.GetProperty("failed_at").GetInt64() > 0);
            Assert.Equal(JsonValueKind.Null, done.GetProperty("output_file_id").ValueKind);
            var native = await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/batches/{id}");
            Assert.Equal("failed", native.GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task An_oversized_upload_is_refused_with_413_and_nothing_is_stored()
    {
        var before = (await fixture.Files.GetFilesAsync()).Value.Count;
        var line = ChatLine("big", new string('x', 20_000));
        var text = string.Concat(Enumerable.Repeat(line + "\n", (CompatHostFixture.MaxBytes / line.Length) + 10));

        using var response = await fixture.Http.PostAsync("/v1/files", Multipart(text));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("batch_too_large", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(before, (await fixture.Files.GetFilesAsync()).Value.Count);
    }

    [Fact]
    public async Task An_embeddings_batch_runs_its_lines_and_a_chat_line_in_it_fails_with_invalid_url()
    {
        string[] inputs = ["alpha", "beta", "gamma"];
        var file = await fixture.UploadAsync([
            EmbeddingLine("e-0", inputs[0]), EmbeddingLine("e-1", inputs[1]), ChatLine("chat", "not here"), EmbeddingLine("e-2", inputs[2])]);

        var id = (await fixture.CreateBatchAsync(file.Id, "/v1/embeddings")).GetProperty("id").GetString()!;
        var (_, done) = await fixture.WaitAsync(id);

        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal("/v1/embeddings", done.GetProperty("endpoint").GetString());
        Assert.True(done.GetProperty("usage").GetProperty("input_tokens").GetInt64() > 0);
        var output = await fixture.DownloadLinesAsync(done.GetProperty("output_file_id").GetString()!);
        Assert.Equal(["e-0", "e-1", "e-2"], output.Select(l => l.GetProperty("custom_id").GetString()));
        Assert.All(output, (l, i) =>
        {
            var body = l.GetProperty("response").GetProperty("body");
            Assert.Equal("list", body.GetProperty("object").GetString());
            var vector = body.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            Assert.Equal(SimulatorEmbeddings.VectorFor(inputs[i]), vector);
            Assert.True(body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32() > 0);
        });
        var errors = await fixture.DownloadLinesAsync(done.GetProperty("error_file_id").GetString()!);
        Assert.Equal("chat", Assert.Single(errors).GetProperty("custom_id").GetString());
        Assert.Equal("invalid_url", errors[0].GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task The_azure_prefix_with_api_version_serves_the_same_calls()
    {
        const string Version = "?api-version=2024-10-21";
        using var upload = await fixture.Http.PostAsync("/openai/files" + Version, Multipart(ChatLine("az-0", "Azure one") + "\n" + ChatLine("az-1", "Azure two") + "\n"));
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        var file = await upload.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("processed", file.GetProperty("status").GetString());

        using var create = await fixture.Http.PostAsJsonAsync("/openai/batches" + Version, new { input_file_id = file.GetProperty("id").GetString(), endpoint = "/chat/completions", completion_window = "24h" });
        Assert.Equal(HttpStatusCode.OK, create.StatusCode);
        var id = (await create.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        var (_, done) = await fixture.WaitAsync(id, async i => await fixture.Http.GetFromJsonAsync<JsonElement>($"/openai/batches/{i}{Version}"));

        Assert.Equal("completed", done.GetProperty("status").GetString());
        var text = await fixture.Http.GetStringAsync($"/openai/files/{done.GetProperty("output_file_id").GetString()}/content{Version}");
        Assert.Equal(["az-0", "az-1"], Lines(text).Select(l => l.GetProperty("custom_id").GetString()));
        var list = await fixture.Http.GetFromJsonAsync<JsonElement>("/openai/batches" + Version + "&limit=1");
        Assert.Equal(id, list.GetProperty("data")[0].GetProperty("id").GetString());
    }
}
