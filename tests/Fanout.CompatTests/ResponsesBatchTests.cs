using System.ClientModel.Primitives;
using System.Net.Http.Json;
using System.Text.Json;
using Fanout.Simulator;
using Json.Schema;
using OpenAI.Chat;
using OpenAI.Responses;
using Xunit;
using static Fanout.CompatTests.CompatHostFixture;

namespace Fanout.CompatTests;

/// <summary>
/// Responses lines and checked structured outputs through <c>/v1/batches</c>: the host calls the simulator with the
/// Azure OpenAI client (Azure's <c>/openai/v1/responses</c>), and the official OpenAI SDK's types read the output lines.
/// </summary>
public sealed class ResponsesBatchTests(CompatHostFixture fixture) : IClassFixture<CompatHostFixture>
{
    private const string Schema = """
        {"type":"object","additionalProperties":false,"required":["city","population","tags","mayor"],
         "properties":{"city":{"type":"string"},"population":{"type":"integer","minimum":1,"maximum":40000000},
                       "tags":{"type":"array","minItems":1,"items":{"$ref":"#/$defs/tag"}},
                       "mayor":{"$ref":"#/$defs/person"}},
         "$defs":{"tag":{"enum":["capital","port","other"]},
                  "person":{"type":"object","required":["name"],"additionalProperties":false,"properties":{"name":{"type":"string"}}}}}
        """;

    private static readonly JsonSchema Compiled = JsonSchema.Build(JsonDocument.Parse(Schema).RootElement.Clone(), new BuildOptions(), null);

    [Fact]
    public async Task A_mixed_responses_batch_runs_through_v1_batches_and_the_sdk_reads_every_output_line()
    {
        var lines = new[]
        {
            ResponsesLine("r-0", new { model = "gpt-4o-mini", input = "What is a queue?", max_output_tokens = 64 }),
            ResponsesLine("r-1", new
            {
                model = "gpt-4o-mini",
                instructions = "Answer in one line.",
                input = new[] { new { role = "user", content = new object[] { new { type = "input_text", text = "Name a prime." } } } },
            }),
            ResponsesLine("r-2", new { input = "Describe Paris.", text = new { format = SchemaFormat() } }),
            ResponsesLine("r-3", new { model = "gpt-4o-mini", input = "Give me an object.", text = new { format = new { type = "json_object" } } }),
            ChatLine("chat", "not on this endpoint"),
            ResponsesLine("r-5", new { model = "gpt-4o-mini", input = "Short url spelling." }, url: "/responses"),
        };
        var file = await fixture.UploadAsync(lines, "responses.jsonl");

        var created = await fixture.CreateBatchAsync(file.Id, "/v1/responses", extra: new { max_concurrency = 4 });
        Assert.Equal("/v1/responses", created.GetProperty("endpoint").GetString());
        var (_, done) = await fixture.WaitAsync(created.GetProperty("id").GetString()!);

        Assert.Equal("completed", done.GetProperty("status").GetString());
        var counts = done.GetProperty("request_counts");
        Assert.Equal((6, 5, 1), (counts.GetProperty("total").GetInt32(), counts.GetProperty("completed").GetInt32(), counts.GetProperty("failed").GetInt32()));
        var output = await fixture.DownloadLinesAsync(done.GetProperty("output_file_id").GetString()!);
        Assert.Equal(["r-0", "r-1", "r-2", "r-3", "r-5"], output.Select(l => l.GetProperty("custom_id").GetString()));
        var responses = output.Select(l => ModelReaderWriter.Read<ResponseResult>(BinaryData.FromString(l.GetProperty("response").GetProperty("body").GetRawText()))!).ToList();
        Assert.All(responses, r => Assert.Equal(ResponseStatus.Completed, r.Status));
        Assert.All(responses, r => Assert.True(r.Usage.InputTokenCount > 0 && r.Usage.OutputTokenCount > 0));
        Assert.Equal(SimulatorResponder.ContentFor("What is a queue?"), responses[0].GetOutputText());
        Assert.Equal(SimulatorResponder.ContentFor("Answer in one line.\nName a prime."), responses[1].GetOutputText());
        Assert.True(Compiled.Evaluate(JsonDocument.Parse(responses[2].GetOutputText()).RootElement).IsValid);
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(responses[3].GetOutputText()).RootElement.ValueKind);
        Assert.Equal(SimulatorResponder.ContentFor("Short url spelling."), responses[4].GetOutputText());

        // The Responses usage shape is mapped into the batch's totals.
        var usage = done.GetProperty("usage");
        Assert.Equal(responses.Sum(r => (long)r.Usage.InputTokenCount), usage.GetProperty("input_tokens").GetInt64());
        Assert.Equal(responses.Sum(r => (long)r.Usage.OutputTokenCount), usage.GetProperty("output_tokens").GetInt64());
        var errors = await fixture.DownloadLinesAsync(done.GetProperty("error_file_id").GetString()!);
        Assert.Equal("invalid_url", Assert.Single(errors).GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Schema_lines_at_an_invalid_output_rate_of_a_third_succeed_only_with_valid_answers_and_at_one_all_fail_after_three_asks()
    {
        try
        {
            // 0.3: whatever succeeds parses and is valid; what fails (all three asks invalid) says invalid_output.
            fixture.Simulator.Options.InvalidOutputRate = 0.3;
            var some = await RunAsync(Enumerable.Range(0, 16).Select(i => ResponsesLine($"s-{i}", new { input = $"City {i}?", text = new { format = SchemaFormat() } })), "/v1/responses");
            var (succeeded, failed) = await SplitAsync(some);
            Assert.Equal(16, succeeded.Count + failed.Count);
            Assert.NotEmpty(succeeded);
            Assert.All(succeeded, l =>
            {
                var text = ModelReaderWriter.Read<ResponseResult>(BinaryData.FromString(l.GetProperty("response").GetProperty("body").GetRawText()))!.GetOutputText();
                Assert.True(Compiled.Evaluate(JsonDocument.Parse(text).RootElement).IsValid, text);
            });
            Assert.All(failed, l => Assert.Equal("invalid_output", l.GetProperty("error").GetProperty("code").GetString()));
            var native = await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/batches/{some.GetProperty("id").GetString()}");
            Assert.True(native.GetProperty("progress").GetProperty("invalid_outputs").GetInt32() >= 3 * failed.Count);

            // 1.0: every chat schema line ends invalid_output after exactly 1 + 2 (the default retries) calls.
            fixture.Simulator.Options.InvalidOutputRate = 1.0;
            fixture.Simulator.ResetStats();
            var none = await RunAsync(Enumerable.Range(0, 6).Select(i => ChatSchemaLine($"c-{i}", $"Town {i}?")), "/v1/chat/completions");
            var (ok, bad) = await SplitAsync(none);
            Assert.Empty(ok);
            Assert.Equal(6, bad.Count);
            Assert.All(bad, l =>
            {
                var error = l.GetProperty("error");
                Assert.Equal("invalid_output", error.GetProperty("code").GetString());
                Assert.Matches("after 3 asks: /[^:]*: [A-Za-z$]+: ", error.GetProperty("message").GetString());
            });
            Assert.Equal(18, fixture.Simulator.Stats.Snapshot().Succeeded);
            var nativeNone = await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/batches/{none.GetProperty("id").GetString()}");
            Assert.Equal(18, nativeNone.GetProperty("progress").GetProperty("invalid_outputs").GetInt32());
        }
        finally
        {
            fixture.Simulator.Options.InvalidOutputRate = 0;
        }
    }

    [Fact]
    public async Task A_refusal_fails_its_line_with_refused_after_one_call()
    {
        try
        {
            fixture.Simulator.Options.RefusalRate = 1.0;
            fixture.Simulator.ResetStats();
            var done = await RunAsync([ChatSchemaLine("no-0", "Refuse me"), ChatSchemaLine("no-1", "Refuse me too")], "/v1/chat/completions");

            var (ok, refused) = await SplitAsync(done);
            Assert.Empty(ok);
            Assert.All(refused, l => Assert.Equal("refused", l.GetProperty("error").GetProperty("code").GetString()));
            Assert.Equal(2, fixture.Simulator.Stats.Snapshot().Succeeded);
        }
        finally
        {
            fixture.Simulator.Options.RefusalRate = 0;
        }
    }

    [Fact]
    public async Task The_sdk_reads_a_chat_schema_line_answer_as_a_chat_completion()
    {
        var done = await RunAsync([ChatSchemaLine("ok-0", "Valid please")], "/v1/chat/completions");

        var (ok, _) = await SplitAsync(done);
        var completion = ModelReaderWriter.Read<ChatCompletion>(BinaryData.FromString(Assert.Single(ok).GetProperty("response").GetProperty("body").GetRawText()))!;
        Assert.Null(completion.Refusal);
        Assert.True(Compiled.Evaluate(JsonDocument.Parse(completion.Content[0].Text).RootElement).IsValid);
    }

    [Fact]
    public async Task A_native_submit_mixes_chat_and_responses_lines_and_its_dry_run_counts_the_responses_lines()
    {
        var jsonl = string.Join("\n", [
            ChatLine("chat-0", "Hello"),
            ResponsesLine("resp-1", new { model = "gpt-4o-mini", input = "Hello", max_output_tokens = 40 }),
            ResponsesLine("resp-2", new { input = 5 })]) + "\n";

        using var dry = await fixture.Http.PostAsync("/api/batches?dryRun=true", new StringContent(jsonl, System.Text.Encoding.UTF8, "application/jsonl"));
        var estimate = await dry.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((3, 1), (estimate.GetProperty("lines").GetInt32(), estimate.GetProperty("invalid").GetInt32()));
        Assert.Equal(8 + 8, estimate.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(32 + 40, estimate.GetProperty("max_completion_tokens").GetInt64());

        using var submit = await fixture.Http.PostAsync("/api/batches", new StringContent(jsonl, System.Text.Encoding.UTF8, "application/jsonl"));
        var id = (await submit.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var (_, done) = await fixture.WaitAsync(id, async i => await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/batches/{i}"));
        Assert.Equal((2, 1), (done.GetProperty("request_counts").GetProperty("completed").GetInt32(), done.GetProperty("request_counts").GetProperty("failed").GetInt32()));
        var results = Lines(await fixture.Http.GetStringAsync($"/api/batches/{id}/results"));
        Assert.Equal("chat.completion", results[0].GetProperty("response").GetProperty("body").GetProperty("object").GetString());
        var response = ModelReaderWriter.Read<ResponseResult>(BinaryData.FromString(results[1].GetProperty("response").GetProperty("body").GetRawText()))!;
        Assert.Equal(SimulatorResponder.ContentFor("Hello"), response.GetOutputText());
        Assert.Equal("invalid_body", results[2].GetProperty("error").GetProperty("code").GetString());
        var usage = done.GetProperty("usage");
        var chatUsage = results[0].GetProperty("response").GetProperty("body").GetProperty("usage");
        Assert.Equal(chatUsage.GetProperty("prompt_tokens").GetInt64() + response.Usage.InputTokenCount, usage.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(chatUsage.GetProperty("completion_tokens").GetInt64() + response.Usage.OutputTokenCount, usage.GetProperty("completion_tokens").GetInt64());
    }

    private async Task<JsonElement> RunAsync(IEnumerable<string> lines, string endpoint)
    {
        var file = await fixture.UploadAsync(lines);
        var created = await fixture.CreateBatchAsync(file.Id, endpoint, extra: new { max_concurrency = 8 });
        var (_, done) = await fixture.WaitAsync(created.GetProperty("id").GetString()!);
        Assert.Equal("completed", done.GetProperty("status").GetString());
        return done;
    }

    private async Task<(List<JsonElement> Succeeded, List<JsonElement> Failed)> SplitAsync(JsonElement batch)
    {
        async Task<List<JsonElement>> Read(string name)
            => batch.GetProperty(name).ValueKind == JsonValueKind.String ? await fixture.DownloadLinesAsync(batch.GetProperty(name).GetString()!) : [];
        return (await Read("output_file_id"), await Read("error_file_id"));
    }

    private static object SchemaFormat() => new { type = "json_schema", name = "city", strict = true, schema = JsonDocument.Parse(Schema).RootElement };

    private static string ResponsesLine(string customId, object body, string url = "/v1/responses")
        => JsonSerializer.Serialize(new { custom_id = customId, method = "POST", url, body });

    private static string ChatSchemaLine(string customId, string prompt)
        => JsonSerializer.Serialize(new
        {
            custom_id = customId,
            method = "POST",
            url = "/v1/chat/completions",
            body = new
            {
                model = "gpt-4o-mini",
                messages = new[] { new { role = "user", content = prompt } },
                response_format = new { type = "json_schema", json_schema = new { name = "city", strict = true, schema = JsonDocument.Parse(Schema).RootElement } },
            },
        });
}
