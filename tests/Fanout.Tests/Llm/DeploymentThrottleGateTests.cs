using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text.Json;
using Azure.AI.OpenAI;
using Fanout.Core.Llm;
using Fanout.Core.Options;
using Xunit;

namespace Fanout.Tests.Llm;

/// <summary>The gate in a real client pipeline over a scripted HTTP handler, on a clock that moves only when told to.</summary>
public sealed class DeploymentThrottleGateTests
{
    private static readonly TimeSpan s_maxWait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_spacing = TimeSpan.FromMilliseconds(10);

    private readonly FakeTimeProvider _time = new();
    private readonly ScriptedHandler _handler = new();

    [Theory]
    [InlineData("https://my-aoai.openai.azure.com/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21", "gpt-4o-mini")]
    [InlineData("http://127.0.0.1:41234/openai/deployments/my%20model/chat/completions", "my model")]
    [InlineData("https://proxy.example/base/OpenAI/Deployments/d1", "d1")]
    [InlineData("https://api.openai.com/v1/chat/completions", null)]
    [InlineData("https://my-aoai.openai.azure.com/openai/deployments/", null)]
    public void Deployment_is_read_from_the_request_path(string uri, string? expected)
        => Assert.Equal(expected, DeploymentThrottleGate.DeploymentOf(new Uri(uri)));

    [Fact]
    public async Task A_429_with_retry_after_ms_closes_the_gate_of_its_deployment_until_then()
    {
        var gate = Gate();
        var start = _time.GetUtcNow();
        _handler.Respond = _ => Throttled("retry-after-ms", "1500");

        Assert.Equal(429, await SendAsync(Pipeline(gate), "a"));

        Assert.Equal(start + TimeSpan.FromMilliseconds(1500), gate.ClosedUntil("a"));
        Assert.Null(gate.ClosedUntil("b"));
        _time.Advance(TimeSpan.FromMilliseconds(1500));
        Assert.Null(gate.ClosedUntil("a"));
    }

    [Fact]
    public async Task A_429_with_whole_second_Retry_After_closes_it_too()
    {
        var gate = Gate();
        var start = _time.GetUtcNow();
        _handler.Respond = _ => Throttled("Retry-After", "3");

        await SendAsync(Pipeline(gate), "a");

        Assert.Equal(start + TimeSpan.FromSeconds(3), gate.ClosedUntil("a"));
    }

    [Fact]
    public async Task The_later_deadline_wins()
    {
        var gate = Gate();
        var pipeline = Pipeline(gate);
        var start = _time.GetUtcNow();
        var answers = new Queue<TaskCompletionSource<HttpResponseMessage>>();
        _handler.RespondAsync = _ =>
        {
            var answer = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (answers)
            {
                answers.Enqueue(answer);
            }

            return answer.Task;
        };

        // Both calls are sent while the gate is open; the one answered first asks for the longer wait.
        var first = SendAsync(pipeline, "a");
        var second = SendAsync(pipeline, "a");
        await _handler.ArrivalsAsync(2);
        answers.Dequeue().SetResult(Throttled("retry-after-ms", "4000"));
        await first;
        answers.Dequeue().SetResult(Throttled("retry-after-ms", "1000"));
        await second;

        Assert.Equal(start + TimeSpan.FromSeconds(4), gate.ClosedUntil("a"));
        gate.CloseUntil("a", start + TimeSpan.FromSeconds(2));
        Assert.Equal(start + TimeSpan.FromSeconds(4), gate.ClosedUntil("a"));
        gate.CloseUntil("a", start + TimeSpan.FromSeconds(6));
        Assert.Equal(start + TimeSpan.FromSeconds(6), gate.ClosedUntil("a"));
    }

    [Fact]
    public async Task A_call_is_held_until_the_gate_opens_and_then_sent()
    {
        var gate = Gate();
        gate.CloseUntil("a", _time.GetUtcNow() + TimeSpan.FromSeconds(2));

        var call = SendAsync(Pipeline(gate), "a");
        await TimersAsync(1);
        _time.Advance(TimeSpan.FromMilliseconds(1999));

        Assert.False(call.IsCompleted);
        Assert.Equal(0, _handler.Count);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(200, await call);
        Assert.Equal(1, _handler.Count);
    }

    [Fact]
    public async Task A_wait_longer_than_the_in_call_limit_is_handed_back_without_sending()
    {
        var gate = Gate();
        gate.CloseUntil("a", _time.GetUtcNow() + TimeSpan.FromSeconds(30));

        var closed = await Assert.ThrowsAsync<ThrottleGateClosedException>(() => SendAsync(Pipeline(gate), "a"));

        Assert.Equal(TimeSpan.FromSeconds(30), closed.RetryAfter);
        Assert.Equal("a", closed.Deployment);
        Assert.Equal(0, _handler.Count);
        Assert.Equal(0, _time.PendingTimers);
    }

    [Fact]
    public async Task Each_deployment_has_its_own_gate()
    {
        var gate = Gate();
        var pipeline = Pipeline(gate);
        gate.CloseUntil("a", _time.GetUtcNow() + TimeSpan.FromSeconds(30));

        Assert.Equal(200, await SendAsync(pipeline, "b"));
        await Assert.ThrowsAsync<ThrottleGateClosedException>(() => SendAsync(pipeline, "a"));
        Assert.Equal(["/openai/deployments/b/chat/completions"], _handler.Paths);
    }

    [Fact]
    public async Task Calls_released_by_one_opening_leave_one_spacing_apart()
    {
        var gate = Gate();
        var pipeline = Pipeline(gate);
        gate.CloseUntil("a", _time.GetUtcNow() + TimeSpan.FromSeconds(1));
        var calls = Enumerable.Range(0, 3).Select(_ => SendAsync(pipeline, "a")).ToList();
        await TimersAsync(3);

        _time.Advance(TimeSpan.FromSeconds(1));
        await _handler.ArrivalsAsync(1);
        Assert.Equal(1, _handler.Count);
        _time.Advance(s_spacing);
        await _handler.ArrivalsAsync(1);
        Assert.Equal(2, _handler.Count);
        _time.Advance(s_spacing);
        await _handler.ArrivalsAsync(1);

        int[] statuses = await Task.WhenAll(calls);
        Assert.Equal([200, 200, 200], statuses);
    }

    [Fact]
    public async Task A_429_while_calls_are_queued_sends_them_back_to_wait_for_the_new_deadline()
    {
        var gate = Gate();
        var pipeline = Pipeline(gate);
        var start = _time.GetUtcNow();
        gate.CloseUntil("a", start + TimeSpan.FromSeconds(1));
        _handler.Respond = _ => Throttled("retry-after-ms", "500");
        var first = SendAsync(pipeline, "a");
        var second = SendAsync(pipeline, "a");
        await TimersAsync(2);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(429, await first);
        _handler.Respond = _ => Ok();
        _time.Advance(s_spacing);

        // Its turn came, but the first call's 429 closed the gate again: it waits for that.
        await TimersAsync(1);
        Assert.Equal(1, _handler.Count);
        _time.Advance(TimeSpan.FromMilliseconds(490));
        Assert.Equal(200, await second);
        Assert.Equal(start + TimeSpan.FromMilliseconds(1500), _time.GetUtcNow());
    }

    [Fact]
    public async Task Spacing_alone_never_hands_a_call_back_when_it_may_not_wait()
    {
        var gate = new DeploymentThrottleGate(TimeSpan.Zero, _time, s_spacing);
        var pipeline = Pipeline(gate);
        gate.CloseUntil("a", _time.GetUtcNow() + TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<ThrottleGateClosedException>(() => SendAsync(pipeline, "a"));
        _time.Advance(TimeSpan.FromSeconds(1));

        // Just opened: calls would be spaced, but a call that may not wait goes rather than becoming a durable timer.
        int[] statuses = await Task.WhenAll(SendAsync(pipeline, "a"), SendAsync(pipeline, "a"));

        Assert.Equal([200, 200], statuses);
        Assert.Equal(0, _time.PendingTimers);
    }

    [Fact]
    public async Task Calls_are_spaced_while_the_remaining_tokens_leave_less_than_one_call()
    {
        var gate = Gate();
        var pipeline = Pipeline(gate);
        _handler.Respond = _ => Ok(remainingTokens: 100);
        await SendAsync(pipeline, "a");
        _handler.Respond = _ => Ok(remainingTokens: 40);

        // 60 tokens per call, 40 left: the quota is about used up.
        await SendAsync(pipeline, "a");
        var third = SendAsync(pipeline, "a");
        var fourth = SendAsync(pipeline, "a");
        await third;
        await TimersAsync(1);

        Assert.False(fourth.IsCompleted);
        Assert.Equal(3, _handler.Count);
        _time.Advance(s_spacing);
        Assert.Equal(200, await fourth);
    }

    [Fact]
    public async Task Calls_go_at_once_while_the_remaining_tokens_are_plenty()
    {
        var gate = Gate();
        var pipeline = Pipeline(gate);
        var remaining = 10_000;
        _handler.Respond = _ => Ok(remainingTokens: Interlocked.Add(ref remaining, -60));

        var calls = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => SendAsync(pipeline, "a")));

        Assert.All(calls, status => Assert.Equal(200, status));
        Assert.Equal(0, _time.PendingTimers);
    }

    [Theory]
    [InlineData(30_000, 5, 27_500)]
    [InlineData(6_000, 5, 3_500)]
    [InlineData(5_000, 5, 5_000)]
    [InlineData(800, 5, 800)]
    [InlineData(9_000, 0, 9_000)]
    public void A_long_wait_is_handed_back_early_by_half_the_in_call_limit(int waitMs, int maxWaitSeconds, int expectedMs)
        => Assert.Equal(
            TimeSpan.FromMilliseconds(expectedMs),
            AzureOpenAIChatInvoker.HandBack(TimeSpan.FromMilliseconds(waitMs), TimeSpan.FromSeconds(maxWaitSeconds)));

    [Fact]
    public async Task The_invoker_returns_a_closed_gate_as_a_deferred_429_without_calling_the_service()
    {
        var options = new OpenAIOptions { Endpoint = new Uri("https://my-aoai.openai.azure.com/"), ApiKey = "k", MaxInActivityWaitSeconds = 5 };
        var invoker = new AzureOpenAIChatInvoker(Microsoft.Extensions.Options.Options.Create(options), new ScriptedFactory(_handler, _time));
        var body = JsonSerializer.SerializeToUtf8Bytes(new { messages = new[] { new { role = "user", content = "hi" } } });
        _handler.Respond = _ => Throttled("retry-after-ms", "30000");

        var throttled = await invoker.CompleteAsync("gpt", body, default);
        _time.Advance(TimeSpan.FromSeconds(10));
        var deferred = await invoker.CompleteAsync("gpt", body, default);

        // Handed back half the in-call limit (2.5 s) early: the retry then waits the rest at the gate.
        Assert.Equal((429, false, TimeSpan.FromSeconds(27.5)), (throttled.Status, throttled.Deferred, throttled.RetryAfter!.Value));
        Assert.Equal((429, true, TimeSpan.FromSeconds(17.5)), (deferred.Status, deferred.Deferred, deferred.RetryAfter!.Value));
        Assert.True(deferred.IsTransient);
        Assert.Null(deferred.RequestId);
        Assert.Equal(1, _handler.Count);
        Assert.False((await invoker.CompleteAsync("other", body, default)).Deferred);
        Assert.Equal(2, _handler.Count);
    }

    private DeploymentThrottleGate Gate() => new(s_maxWait, _time, s_spacing);

    /// <summary>Waits until <paramref name="count"/> calls wait on the fake clock (the timeout only stops a broken test from hanging).</summary>
    private async Task TimersAsync(int count)
    {
        for (var i = 0; i < 30_000 && _time.PendingTimers != count; i++)
        {
            await Task.Delay(1);
        }

        Assert.Equal(count, _time.PendingTimers);
    }

    private ClientPipeline Pipeline(DeploymentThrottleGate gate)
        => ClientPipeline.Create(
            new ClientPipelineOptions
            {
                Transport = new HttpClientPipelineTransport(new HttpClient(_handler)),
                RetryPolicy = new ThrottleAwareRetryPolicy(0, s_maxWait),
            },
            perCallPolicies: default,
            perTryPolicies: [gate],
            beforeTransportPolicies: default);

    private static async Task<int> SendAsync(ClientPipeline pipeline, string deployment)
    {
        using var message = pipeline.CreateMessage();
        message.Request.Method = "POST";
        message.Request.Uri = new Uri($"https://my-aoai.openai.azure.com/openai/deployments/{deployment}/chat/completions?api-version=2024-10-21");
        message.Request.Content = BinaryContent.Create(BinaryData.FromString("{}"));
        await pipeline.SendAsync(message);
        return message.Response!.Status;
    }

    private static HttpResponseMessage Throttled(string header, string value)
    {
        var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests)
        {
            Content = new StringContent("""{"error":{"code":"429","message":"Rate limit reached."}}"""),
        };
        response.Headers.TryAddWithoutValidation(header, value);
        return response;
    }

    private static HttpResponseMessage Ok(long? remainingTokens = null)
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("""{"choices":[]}""") };
        if (remainingTokens is { } remaining)
        {
            response.Headers.TryAddWithoutValidation("x-ratelimit-remaining-tokens", remaining.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return response;
    }

    /// <summary>Answers each request with <see cref="Respond"/> (or <see cref="RespondAsync"/>) and counts them.</summary>
    private sealed class ScriptedHandler : HttpMessageHandler
    {
        private readonly SemaphoreSlim _arrived = new(0);
        private readonly List<string> _paths = [];

        public Func<HttpRequestMessage, HttpResponseMessage> Respond { get; set; } = _ => Ok();

        public Func<HttpRequestMessage, Task<HttpResponseMessage>>? RespondAsync { get; set; }

        public int Count
        {
            get
            {
                lock (_paths)
                {
                    return _paths.Count;
                }
            }
        }

        public IReadOnlyList<string> Paths
        {
            get
            {
                lock (_paths)
                {
                    return [.. _paths];
                }
            }
        }

        /// <summary>Waits for <paramref name="count"/> more requests (the timeout only stops a broken test from hanging).</summary>
        public async Task ArrivalsAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                Assert.True(await _arrived.WaitAsync(TimeSpan.FromSeconds(30)), "the request was never sent");
            }
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (_paths)
            {
                _paths.Add(request.RequestUri!.AbsolutePath);
            }

            _arrived.Release();
            return RespondAsync?.Invoke(request) ?? Task.FromResult(Respond(request));
        }

        protected override void Dispose(bool disposing)
        {
            _arrived.Dispose();
            base.Dispose(disposing);
        }
    }

    private sealed class ScriptedFactory(HttpMessageHandler handler, FakeTimeProvider clock) : AzureOpenAIClientFactory(clock)
    {
        private readonly TimeProvider _clock = clock;

        public override AzureOpenAIClient Create(OpenAIOptions options)
        {
            var clientOptions = CreateClientOptions(options, _clock);
            clientOptions.Transport = new HttpClientPipelineTransport(new HttpClient(handler));
            return new AzureOpenAIClient(options.Endpoint!, new ApiKeyCredential(options.ApiKey!), clientOptions);
        }
    }
}
