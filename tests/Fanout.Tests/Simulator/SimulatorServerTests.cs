using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text;
using System.Text.Json;
using Azure.AI.OpenAI;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using OpenAI.Chat;
using Xunit;

namespace Fanout.Tests.Simulator;

/// <summary>Each test starts its own server on a free port and calls it over real HTTP.</summary>
public sealed class SimulatorServerTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Azure_client_gets_the_deterministic_answer_with_usage()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions());
        var chat = AzureChat(server, "gpt-4o-mini");
        const string prompt = "You are terse.\nSay hello to the simulator";

        var result = await chat.CompleteChatAsync([new SystemChatMessage("You are terse."), new UserChatMessage("Say hello to the simulator")]);

        var completion = result.Value;
        var expected = SimulatorResponder.ContentFor(prompt);
        Assert.Equal(expected, Assert.Single(completion.Content).Text);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(SimulatorResponder.CompletionIdFor(prompt), completion.Id);
        Assert.Equal("gpt-4o-mini", completion.Model);
        Assert.Equal(SimulatorResponder.EstimateTokens(prompt), completion.Usage.InputTokenCount);
        Assert.Equal(SimulatorResponder.EstimateTokens(expected), completion.Usage.OutputTokenCount);
        Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);
        var headers = result.GetRawResponse().Headers;
        Assert.True(headers.TryGetValue("x-request-id", out var requestId) && Guid.TryParse(requestId, out _));
        Assert.True(headers.TryGetValue("apim-request-id", out var apimId) && apimId == requestId);
    }

    [Fact]
    public async Task Azure_client_streams_the_same_answer()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyPerOutputTokenMs = 1 });
        var chat = AzureChat(server, "d");
        var prompt = "Stream a reply for this fairly long prompt, long enough to be echoed only in part by the simulator";

        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        var updates = 0;
        await foreach (var update in chat.CompleteChatStreamingAsync(new UserChatMessage(prompt)))
        {
            updates++;
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= update.FinishReason;
            if (update.Usage is { } usage)
            {
                Assert.Equal(SimulatorResponder.EstimateTokens(prompt), usage.InputTokenCount);
            }
        }

        Assert.Equal(SimulatorResponder.ContentFor(prompt), text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.True(updates >= 4, $"only {updates} updates");
        Assert.Equal(1, server.Stats.Succeeded);
    }

    [Fact]
    public async Task Raw_stream_is_server_sent_events_ending_with_done_and_usage()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions());
        using var http = new HttpClient { BaseAddress = server.BaseUri };

        using var response = await PostAsync(http, "v1/chat/completions",
            """{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"sse please"}]}""");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e, StringComparison.Ordinal));
        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Equal("stop", chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(0, chunks[^1].GetProperty("choices").GetArrayLength());
        Assert.Equal(SimulatorResponder.EstimateTokens("sse please"), chunks[^1].GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task Peak_concurrency_counts_parallel_calls_exactly()
    {
        const int calls = 12;
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 2000 });
        var chat = AzureChat(server, "d");

        var tasks = Enumerable.Range(0, calls).Select(i => chat.CompleteChatAsync(new UserChatMessage($"prompt {i}"))).ToList();
        await WaitUntilAsync(() => server.Stats.InFlight == calls);
        var peakWhileBusy = server.Stats.PeakConcurrency;
        var results = await Task.WhenAll(tasks);

        // The server counts a call out after its response is written, so the client can see the answer a moment sooner.
        await WaitUntilAsync(() => server.Stats.InFlight == 0);

        Assert.Equal(calls, peakWhileBusy);
        Assert.Equal(calls, server.Stats.PeakConcurrency);
        Assert.Equal(calls, server.Stats.Succeeded);
        Assert.Equal((long)calls, server.Stats.DistinctPrompts);
        Assert.Equal(0, server.Stats.DuplicatePrompts);
        for (var i = 0; i < calls; i++)
        {
            Assert.Equal(SimulatorResponder.ContentFor($"prompt {i}"), results[i].Value.Content[0].Text);
        }
    }

    [Fact]
    public async Task Quota_429_carries_retry_after_and_remaining_headers()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { RequestsPerMinute = 2 });
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        const string path = "openai/deployments/d/chat/completions?api-version=2024-10-21";
        const string body = """{"messages":[{"role":"user","content":"hi"}]}""";

        using var first = await PostAsync(http, path, body);
        using var second = await PostAsync(http, path, body);
        using var third = await PostAsync(http, path, body);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("1", Header(first, "x-ratelimit-remaining-requests"));
        Assert.Equal("0", Header(second, "x-ratelimit-remaining-requests"));
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal("0", Header(third, "x-ratelimit-remaining-requests"));
        var retryAfterMs = long.Parse(Header(third, "retry-after-ms")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfterMs, 55_000, 60_000);
        var retryAfter = third.Headers.RetryAfter?.Delta?.TotalSeconds;
        Assert.Equal(Math.Ceiling(retryAfterMs / 1000.0), retryAfter);
        using var error = JsonDocument.Parse(await third.Content.ReadAsStringAsync());
        Assert.Equal("429", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal($"Rate limit is exceeded. Try again in {retryAfter} seconds.", error.RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal((2L, 1L), (server.Stats.Succeeded, server.Stats.RateLimited));
    }

    [Fact]
    public async Task Token_quota_charges_prompt_and_max_tokens_per_deployment()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { TokensPerMinute = 100 });
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        static string Body(string model, int maxTokens) =>
            $$"""{"model":"{{model}}","max_tokens":{{maxTokens}},"messages":[{"role":"user","content":"12345678"}]}""";

        using var a1 = await PostAsync(http, "v1/chat/completions", Body("a", 90));
        using var a2 = await PostAsync(http, "v1/chat/completions", Body("a", 10));
        using var a3 = await PostAsync(http, "v1/chat/completions", Body("a", 6));
        using var b1 = await PostAsync(http, "v1/chat/completions", Body("b", 90));

        Assert.Equal(HttpStatusCode.OK, a1.StatusCode);
        Assert.Equal("8", Header(a1, "x-ratelimit-remaining-tokens"));
        Assert.Equal(HttpStatusCode.TooManyRequests, a2.StatusCode);
        Assert.Equal("8", Header(a2, "x-ratelimit-remaining-tokens"));
        Assert.Equal(HttpStatusCode.OK, a3.StatusCode);
        Assert.Equal("0", Header(a3, "x-ratelimit-remaining-tokens"));
        Assert.Equal(HttpStatusCode.OK, b1.StatusCode);
        using var answer = JsonDocument.Parse(await b1.Content.ReadAsStringAsync());
        Assert.Equal("b", answer.RootElement.GetProperty("model").GetString());
    }

    [Fact]
    public async Task Injected_failures_follow_options_changed_at_runtime()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { FailureRate = 1 });
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        const string body = """{"messages":[{"role":"user","content":"x"}]}""";

        using var failed = await PostAsync(http, "v1/chat/completions", body);
        server.Options.FailureRate = 0;
        server.Options.Http503Rate = 1;
        using var unavailable = await PostAsync(http, "v1/chat/completions", body);
        server.Options.Http503Rate = 0;
        server.Options.FailureRate = 1;
        server.Options.FailureStatusCode = 429;
        server.Options.FailureRetryAfterMs = 2500;
        using var throttled = await PostAsync(http, "v1/chat/completions", body);
        server.Options.FailureRate = 0;
        using var ok = await PostAsync(http, "v1/chat/completions", body);

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Equal("2500", Header(throttled, "retry-after-ms"));
        Assert.Equal(TimeSpan.FromSeconds(3), throttled.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal((4L, 1L, 2L, 1L), (server.Stats.Requests, server.Stats.Succeeded, server.Stats.Failed, server.Stats.RateLimited));
    }

    [Fact]
    public async Task Burst_window_answers_429_to_every_request()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { Burst429StartSeconds = 0, Burst429DurationSeconds = 30 });
        using var http = new HttpClient { BaseAddress = server.BaseUri };

        using var response = await PostAsync(http, "v1/chat/completions", """{"messages":[{"role":"user","content":"x"}]}""");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.InRange(response.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0, 25, 30);
    }

    [Fact]
    public async Task Hung_request_is_released_when_the_client_gives_up()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { HangRate = 1 });
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        using var giveUp = new CancellationTokenSource();
        var call = http.PostAsync("v1/chat/completions", new StringContent("""{"messages":[{"role":"user","content":"x"}]}"""), giveUp.Token);
        await WaitUntilAsync(() => server.Stats.Hung == 1);

        await giveUp.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await WaitUntilAsync(() => server.Stats.InFlight == 0);

        Assert.Equal((1L, 1L, 0L), (server.Stats.Requests, server.Stats.Hung, server.Stats.Succeeded));
    }

    [Fact]
    public async Task Disposing_the_server_drops_hung_requests()
    {
        var server = await SimulatorServer.StartAsync(new SimulatorOptions { HangRate = 1 });
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        var call = PostAsync(http, "v1/chat/completions", """{"messages":[{"role":"user","content":"x"}]}""");
        await WaitUntilAsync(() => server.Stats.Hung == 1);

        var dispose = server.DisposeAsync().AsTask();

        await Assert.ThrowsAsync<HttpRequestException>(() => call);
        await dispose.WaitAsync(s_wait);
    }

    [Fact]
    public async Task Stats_endpoint_reports_counts_and_reset_clears_them()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions());
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        foreach (var prompt in new[] { "a", "b", "a" })
        {
            using var _ = await PostAsync(http, "v1/chat/completions", $$"""{"messages":[{"role":"user","content":"{{prompt}}"}]}""");
        }

        using var bad = await PostAsync(http, "v1/chat/completions", "{not json");
        await WaitUntilAsync(() => server.Stats.Snapshot().InFlightHistogram.Count > 0);
        using var stats = JsonDocument.Parse(await http.GetStringAsync("stats"));
        using var reset = await http.PostAsync("stats/reset", null);
        using var after = JsonDocument.Parse(await http.GetStringAsync("stats"));
        var health = await http.GetStringAsync("healthz");

        var root = stats.RootElement;
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(4, root.GetProperty("requests").GetInt64());
        Assert.Equal(3, root.GetProperty("succeeded").GetInt64());
        Assert.Equal(1, root.GetProperty("bad_requests").GetInt64());
        Assert.Equal(0, root.GetProperty("rate_limited").GetInt64());
        Assert.Equal(0, root.GetProperty("failed").GetInt64());
        Assert.Equal(0, root.GetProperty("hung").GetInt64());
        Assert.Equal(0, root.GetProperty("in_flight").GetInt32());
        Assert.Equal(1, root.GetProperty("peak_concurrency").GetInt32());
        Assert.Equal(2, root.GetProperty("distinct_prompts").GetInt64());
        Assert.Equal(1, root.GetProperty("duplicate_prompts").GetInt64());
        var sample = root.GetProperty("in_flight_histogram")[0];
        Assert.True(sample.TryGetProperty("t_ms", out _) && sample.TryGetProperty("in_flight", out _));
        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Equal(0, after.RootElement.GetProperty("requests").GetInt64());
        Assert.Equal(0, after.RootElement.GetProperty("distinct_prompts").GetInt64());
        Assert.Equal("ok", health);
    }

    [Fact]
    public async Task Openai_route_accepts_array_content_and_defaults_the_deployment()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions());
        using var http = new HttpClient { BaseAddress = server.BaseUri };

        using var response = await PostAsync(http, "v1/chat/completions",
            """{"messages":[{"role":"user","content":[{"type":"text","text":"hé "},{"type":"text","text":"there"}]}]}""");

        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = answer.RootElement;
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("chat.completion", root.GetProperty("object").GetString());
        Assert.Equal("default", root.GetProperty("model").GetString());
        Assert.Equal(SimulatorResponder.ContentFor("hé there"), root.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.True(root.GetProperty("created").GetInt64() > 1_700_000_000);
    }

    private static ChatClient AzureChat(SimulatorServer server, string deployment)
        => new AzureOpenAIClient(server.BaseUri, new ApiKeyCredential("sim"), new AzureOpenAIClientOptions { RetryPolicy = new ClientRetryPolicy(0) })
            .GetChatClient(deployment);

    private static Task<HttpResponseMessage> PostAsync(HttpClient http, string path, string json)
        => http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    private static string? Header(HttpResponseMessage response, string name)
        => response.Headers.TryGetValues(name, out var values) ? values.Single() : null;

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + s_wait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the simulator");
            await Task.Delay(10);
        }
    }
}
