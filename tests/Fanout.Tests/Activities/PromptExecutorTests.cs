using System.Text;
using System.Text.Json;
using Fanout.Core.Activities;
using Fanout.Core.Cache;
using Fanout.Core.Jsonl;
using Fanout.Core.Llm;
using Fanout.Core.Models;
using Fanout.Core.Options;
using Fanout.Core.Storage;
using Fanout.Core.StructuredOutputs;
using Fanout.Tests.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using Xunit;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace Fanout.Tests.Activities;

/// <summary>
/// One prompt, with the model mocked and storage in memory: what the executor writes for each kind of answer, what it
/// reports back, and when it writes nothing and hands a wait to the orchestrator instead.
/// </summary>
public sealed class PromptExecutorTests
{
    private const string BatchId = "batch_pe";
    private const string Deployment = "gpt-test";
    private const string Answer = """{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}""";

    private readonly InMemoryStorage _storage = new();
    private readonly Mock<IChatCompletionInvoker> _invoker = new(MockBehavior.Strict);

    [Fact]
    public async Task An_answer_is_written_as_the_lines_success_with_its_tokens_reported()
    {
        var prepared = await PrepareAsync(Line(0));
        Returns(new ChatCallResult(200, Encoding.UTF8.GetBytes(Answer), "req-1", null));

        var outcome = await Executor().ExecuteAsync(Item(prepared, 0), CancellationToken.None);

        Assert.True(outcome.Succeeded);
        Assert.Equal((7, 3), (outcome.PromptTokens, outcome.CompletionTokens));
        var line = await StoredAsync(prepared, 0);
        Assert.Equal("q-0", line.GetProperty("custom_id").GetString());
        Assert.Equal(200, line.GetProperty("response").GetProperty("status_code").GetInt32());
        Assert.Equal("req-1", line.GetProperty("response").GetProperty("request_id").GetString());
        Assert.Equal("hi", line.GetProperty("response").GetProperty("body").GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
    }

    [Fact]
    public async Task A_line_that_failed_validation_is_written_as_its_error_without_a_call()
    {
        var prepared = await PrepareAsync("{not json");

        var outcome = await Executor().ExecuteAsync(Item(prepared, 0), CancellationToken.None);

        Assert.False(outcome.Succeeded);
        Assert.Equal(LineErrorCodes.InvalidJsonLine, outcome.ErrorCode);
        Assert.Equal(LineErrorCodes.InvalidJsonLine, (await StoredAsync(prepared, 0)).GetProperty("error").GetProperty("code").GetString());
        _invoker.VerifyNoOtherCalls();
    }

    [Fact]
    public async Task A_throttled_call_before_the_last_attempt_writes_nothing_and_hands_its_wait_back()
    {
        var prepared = await PrepareAsync(Line(0));
        Returns(new ChatCallResult(429, Encoding.UTF8.GetBytes("""{"error":{"code":"429","message":"slow down"}}"""), null, TimeSpan.FromMilliseconds(1500)));

        var outcome = await Executor().ExecuteAsync(Item(prepared, 0), CancellationToken.None);

        Assert.True(outcome.WantsRetry);
        Assert.Equal(1500, outcome.RetryAfterMs);
        Assert.True(outcome.Throttled);
        Assert.Null(await StoredOrNullAsync(prepared, 0));
    }

    [Fact]
    public async Task A_transient_failure_without_retry_after_waits_the_exponential_backoff()
    {
        var prepared = await PrepareAsync(Line(0));
        Returns(new ChatCallResult(503, "busy"u8.ToArray(), null, null));

        var outcome = await Executor().ExecuteAsync(Item(prepared, 0) with { Attempt = 2 }, CancellationToken.None);

        Assert.Equal((int)PromptExecutor.Backoff(2).TotalMilliseconds, outcome.RetryAfterMs);
        Assert.False(outcome.Throttled);
        Assert.Null(await StoredOrNullAsync(prepared, 0));
    }

    [Fact]
    public async Task A_throttled_call_on_the_last_attempt_writes_rate_limit_exhausted()
    {
        var prepared = await PrepareAsync(Line(0));
        Returns(new ChatCallResult(429, "[]"u8.ToArray(), null, TimeSpan.FromSeconds(1)));

        var outcome = await Executor().ExecuteAsync(Item(prepared, 0) with { LastAttempt = true }, CancellationToken.None);

        Assert.False(outcome.WantsRetry);
        Assert.True(outcome.Throttled);
        Assert.Equal("rate_limit_exhausted", outcome.ErrorCode);
        Assert.Equal("rate_limit_exhausted", (await StoredAsync(prepared, 0)).GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_client_error_is_written_with_the_services_own_code_and_message()
    {
        var prepared = await PrepareAsync(Line(0));
        Returns(new ChatCallResult(400, Encoding.UTF8.GetBytes("""{"error":{"code":"context_length_exceeded","message":"too long"}}"""), null, null));

        var outcome = await Executor().ExecuteAsync(Item(prepared, 0), CancellationToken.None);

        Assert.Equal("context_length_exceeded", outcome.ErrorCode);
        var error = (await StoredAsync(prepared, 0)).GetProperty("error");
        Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
        Assert.Equal("too long", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_lines_own_model_is_called_instead_of_the_batch_deployment()
    {
        var prepared = await PrepareAsync(Line(0, model: "other-model"));
        _invoker.Setup(i => i.CompleteAsync("other-model", It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new ChatCallResult(200, Encoding.UTF8.GetBytes(Answer), "req-2", null));

        var outcome = await Executor().ExecuteAsync(Item(prepared, 0), CancellationToken.None);

        Assert.True(outcome.Succeeded);
        _invoker.Verify(i => i.CompleteAsync("other-model", It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task An_answer_invalid_against_the_lines_schema_is_asked_again_and_counted()
    {
        const string Schema = """{"type":"json_schema","json_schema":{"name":"n","strict":true,"schema":{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"],"additionalProperties":false}}}""";
        var prepared = await PrepareAsync(Line(0, responseFormat: Schema));
        var answers = new Queue<string>(["not json at all", """{"n":4}"""]);
        _invoker.Setup(i => i.CompleteAsync(Deployment, It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(() => new ChatCallResult(200, Encoding.UTF8.GetBytes(Answer.Replace("\"hi\"", JsonSerializer.Serialize(answers.Dequeue()), StringComparison.Ordinal)), "req", null));

        var outcome = await Executor().ExecuteAsync(Item(prepared, 0), CancellationToken.None);

        Assert.True(outcome.Succeeded);
        Assert.Equal(1, outcome.InvalidOutputs);
        Assert.Equal((14, 6), (outcome.PromptTokens, outcome.CompletionTokens));
        _invoker.Verify(i => i.CompleteAsync(Deployment, It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<CancellationToken>()), Times.Exactly(2));
    }

    [Fact]
    public async Task A_copy_of_a_line_that_arrives_while_the_first_runs_joins_it_without_a_second_call()
    {
        var prepared = await PrepareAsync(Line(0));
        var release = new TaskCompletionSource<ChatCallResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _invoker.Setup(i => i.CompleteAsync(Deployment, It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<CancellationToken>())).Returns(release.Task);
        var executor = Executor();

        var first = executor.ExecuteAsync(Item(prepared, 0), CancellationToken.None);
        var second = executor.ExecuteAsync(Item(prepared, 0), CancellationToken.None);
        release.SetResult(new ChatCallResult(200, Encoding.UTF8.GetBytes(Answer), "req-1", null));

        Assert.Equal(await first, await second);
        _invoker.Verify(i => i.CompleteAsync(Deployment, It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<CancellationToken>()), Times.Once);
    }

    private PromptExecutor Executor()
    {
        var cacheOptions = MsOptions.Create(new CacheOptions());
        var cache = new ResponseCache(
            new ResponseCacheStore(_storage.Service, cacheOptions, TimeProvider.System, NullLogger<ResponseCacheStore>.Instance), cacheOptions, TimeProvider.System, NullLogger<ResponseCache>.Instance);
        return new PromptExecutor(
            _storage.Store, new ResultSegmentWriter(_storage.Store), _invoker.Object, new BatchCallGate(), new AnswerChecker(MsOptions.Create(new BatchOptions())), cache,
            NullLogger<PromptExecutor>.Instance);
    }

    private void Returns(ChatCallResult result)
        => _invoker.Setup(i => i.CompleteAsync(Deployment, It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<CancellationToken>())).ReturnsAsync(result);

    private static PromptWorkItem Item(PreparedBatch prepared, int index) => new(BatchId, index, prepared.ChunkSize, Deployment);

    private static string Line(int index, string? model = null, string? responseFormat = null)
    {
        var body = new StringBuilder("{\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]");
        body.Append(model is null ? string.Empty : $",\"model\":\"{model}\"");
        body.Append(responseFormat is null ? string.Empty : $",\"response_format\":{responseFormat}");
        body.Append('}');
        return $"{{\"custom_id\":\"q-{index}\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{body}}}";
    }

    private async Task<PreparedBatch> PrepareAsync(params string[] lines)
    {
        var preparer = new BatchPreparer(_storage.Store, MsOptions.Create(new BatchOptions()));
        return await preparer.PrepareAsync(BatchId, new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n")), chunkSize: 4, CancellationToken.None);
    }

    private async Task<JsonElement?> StoredOrNullAsync(PreparedBatch prepared, int index)
    {
        var lines = await new ChunkResultGatherer(_storage.Work, new ResultSegmentCache()).GatherAsync(BatchId, prepared, index / prepared.ChunkSize, CancellationToken.None);
        return lines[index % prepared.ChunkSize] is { } line ? JsonDocument.Parse(line).RootElement.Clone() : null;
    }

    private async Task<JsonElement> StoredAsync(PreparedBatch prepared, int index)
        => await StoredOrNullAsync(prepared, index) ?? throw new Xunit.Sdk.XunitException($"line {index} has no stored result");
}
