using System.Text;
using System.Text.Json;
using Fanout.Core.Llm;
using Fanout.Core.Llm.Pool;
using Fanout.Core.Options;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using Xunit;

namespace Fanout.Tests.Llm.Pool;

/// <summary>The call path over a pool: failover to the next member instead of waiting, and the calls counted per member.</summary>
public sealed class PooledChatInvokerTests
{
    private static readonly ReadOnlyMemory<byte> Body = Encoding.UTF8.GetBytes("""{"messages":[{"role":"user","content":"hi"}],"max_tokens":8}""");

    private readonly FakeTimeProvider _time = new();

    [Theory]
    [InlineData(503)]
    [InlineData(500)]
    [InlineData(0)]
    [InlineData(429)]
    public async Task A_member_that_fails_or_throttles_is_skipped_for_the_next_one_at_once(int status)
    {
        var a = new ScriptedMember(new ChatCallResult(status, Error(), null, status == 429 ? TimeSpan.FromSeconds(30) : null));
        var b = new ScriptedMember(Answer("b-model"));
        var invoker = Invoker((Member("a"), a), (Member("b"), b));

        // Both unknown: the first call goes to a (its turn), fails, and goes to b in the same call.
        var result = await invoker.CompleteAsync("m", Body, default);

        Assert.Equal(200, result.Status);
        Assert.Equal(1, a.Calls);
        Assert.Equal(1, b.Calls);
        Assert.Equal(["a", "b"], result.Calls!.Select(c => c.Member));
        Assert.Equal(status, result.Calls![0].Status);
        Assert.Equal("b-model", JsonDocument.Parse(result.Body).RootElement.GetProperty("model").GetString());
    }

    [Fact]
    public async Task No_member_is_called_while_every_member_cools_down_the_call_goes_back_as_a_429_to_wait_for()
    {
        var a = new ScriptedMember(new ChatCallResult(429, Error(), null, TimeSpan.FromSeconds(30)));
        var b = new ScriptedMember(new ChatCallResult(429, Error(), null, TimeSpan.FromSeconds(20)));
        var invoker = Invoker((Member("a"), a), (Member("b"), b));
        var first = await invoker.CompleteAsync("m", Body, default);
        Assert.Equal(429, first.Status);

        var second = await invoker.CompleteAsync("m", Body, default);

        Assert.Equal(1, a.Calls);
        Assert.Equal(1, b.Calls);
        Assert.Equal(429, second.Status);
        Assert.True(second.Deferred);
        Assert.Empty(second.Calls!);

        // Handed back a little short of b's 20 s (the durable timer then waits at the member's gate).
        Assert.InRange(second.RetryAfter!.Value, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task A_cancelled_call_leaves_its_member_usable()
    {
        var member = Member("a");
        var invoker = new PooledChatInvoker([new PoolConnection(member, new CancelledMember())], null, new OpenAIOptions(), _time);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => invoker.CompleteAsync("m", Body, new CancellationToken(canceled: true)));

        var snapshot = Assert.Single(invoker.RouterOf("m")!.Snapshot());
        Assert.True(snapshot.Available);
        Assert.Equal(0, snapshot.InFlight);
    }

    [Fact]
    public async Task A_line_error_is_returned_without_trying_other_members()
    {
        var a = new ScriptedMember(new ChatCallResult(400, Error(), null, null));
        var b = new ScriptedMember(Answer("b"));
        var invoker = Invoker((Member("a"), a), (Member("b"), b));

        var result = await invoker.CompleteAsync("m", Body, default);

        Assert.Equal(400, result.Status);
        Assert.Equal(1, a.Calls + b.Calls);
    }

    [Fact]
    public async Task A_call_gives_up_after_its_retries_when_every_member_keeps_failing()
    {
        var a = new ScriptedMember(new ChatCallResult(503, Error(), null, null));
        var b = new ScriptedMember(new ChatCallResult(503, Error(), null, null));
        var invoker = Invoker((Member("a"), a), (Member("b"), b));
        var call = invoker.CompleteAsync("m", Body, default);

        // The members rest between tries: move the clock on until the call returns.
        while (!call.IsCompleted)
        {
            _time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Yield();
        }

        var result = await call;
        Assert.Equal(503, result.Status);
        Assert.Equal(new OpenAIOptions().MaxRetries + 2, result.Calls!.Count);
    }

    [Fact]
    public async Task A_model_no_pool_serves_goes_to_the_single_endpoint_and_is_counted_under_its_name()
    {
        var fallback = new ScriptedMember(Answer("gpt-4o-mini-2024-07-18"));
        var invoker = new PooledChatInvoker([new PoolConnection(Member("a"), new ScriptedMember(Answer("x")))], fallback, new OpenAIOptions(), _time);

        var result = await invoker.CompleteAsync("other", Body, default);

        Assert.Equal(200, result.Status);
        Assert.Equal("other", Assert.Single(result.Calls!).Member);
    }

    [Fact]
    public async Task Without_a_single_endpoint_a_model_no_pool_serves_is_a_line_error()
    {
        var invoker = new PooledChatInvoker([new PoolConnection(Member("a"), new ScriptedMember(Answer("x")))], null, new OpenAIOptions(), _time);

        var result = await invoker.CompleteAsync("other", Body, default);

        Assert.Equal(404, result.Status);
        Assert.Contains("model_not_found", Encoding.UTF8.GetString(result.Body.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_member_whose_endpoint_refuses_connections_is_failed_over_through_the_real_client()
    {
        // A loopback port nobody listens on refuses the connection; the other member is the simulator.
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions());
        var options = new OpenAIOptions { MaxRetries = 0, TimeoutSeconds = 5, MaxInActivityWaitSeconds = 1 };
        var refused = new PoolMember("Fanout:OpenAI:Pool:0", "down", new Uri($"http://127.0.0.1:{ClosedPort()}/"), "down", "k", "m");
        var up = new PoolMember("Fanout:OpenAI:Pool:1", "up", simulator.BaseUri, "up", "k", "m");
        var invoker = new PooledChatInvoker(
            [new PoolConnection(refused, RealInvoker(refused, options)), new PoolConnection(up, RealInvoker(up, options))], null, options);

        var results = new List<ChatCallResult>();
        for (var i = 0; i < 5; i++)
        {
            results.Add(await invoker.CompleteAsync("m", Body, default));
        }

        // Every call was answered by the member that is up; the refused one was tried (status 0) and left at once.
        Assert.All(results, r => Assert.Equal(200, r.Status));
        Assert.All(results, r => Assert.Equal("up", r.Calls![^1].Member));
        var refusedCalls = results.SelectMany(r => r.Calls!).Where(c => c.Member == "down").ToList();
        Assert.NotEmpty(refusedCalls);
        Assert.All(refusedCalls, c => Assert.Equal(0, c.Status));
    }

    private static AzureOpenAIChatInvoker RealInvoker(PoolMember member, OpenAIOptions options)
    {
        var memberOptions = new OpenAIOptions { Endpoint = member.Endpoint, ApiKey = member.ApiKey, TimeoutSeconds = options.TimeoutSeconds };
        var client = AzureOpenAIClientFactory.Create(
            memberOptions, AzureOpenAIClientFactory.CreateClientOptions(memberOptions, 0, AzureOpenAIClientFactory.NewGate(memberOptions)));
        return new AzureOpenAIChatInvoker(client, TimeSpan.FromSeconds(options.MaxInActivityWaitSeconds));
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static PoolMember Member(string name) => new($"Fanout:OpenAI:Pool:{name}", name, new Uri("http://127.0.0.1:1/"), name, null, "m");

    private static byte[] Error() => """{"error":{"code":"x","message":"no"}}"""u8.ToArray();

    private static ChatCallResult Answer(string model)
        => new(200, JsonSerializer.SerializeToUtf8Bytes(new { model, usage = new { prompt_tokens = 3, completion_tokens = 4 } }), "r", null, RemainingTokens: 1000);

    private PooledChatInvoker Invoker(params (PoolMember Member, ScriptedMember Invoker)[] members)
        => new(members.Select(m => new PoolConnection(m.Member, m.Invoker)), null, new OpenAIOptions { MaxInActivityWaitSeconds = 5 }, _time);

    private sealed class CancelledMember : IChatCompletionInvoker
    {
        public Task<ChatCallResult> CompleteAsync(string deployment, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
            => Task.FromCanceled<ChatCallResult>(cancellationToken);
    }

    private sealed class ScriptedMember(ChatCallResult answer) : IChatCompletionInvoker
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public Task<ChatCallResult> CompleteAsync(string deployment, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return Task.FromResult(answer);
        }
    }
}
