using System.Text;
using System.Text.Json;
using Fanout.Core.Llm;
using Fanout.Core.Options;
using Fanout.Core.StructuredOutputs;
using Xunit;

namespace Fanout.Tests.StructuredOutputs;

/// <summary>Invalid answers are asked again up to the limit and counted; refusals and failed calls are not asked again.</summary>
public sealed class AnswerCheckerTests
{
    private static readonly AnswerFormat Format = new("""{"type":"object","required":["n"],"properties":{"n":{"type":"integer"}}}""");

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(5)]
    public async Task An_answer_that_stays_invalid_fails_invalid_output_after_one_plus_retries_asks(int retries)
    {
        var answers = new Answers(Enumerable.Repeat(Chat("""{"n":"x"}"""), 10));

        var checkedAnswer = await Checker(retries).CallAsync(answers.NextAsync, Format, isResponse: false);

        Assert.Equal(retries + 1, answers.Calls);
        Assert.Equal(retries + 1, checkedAnswer.InvalidOutputs);
        Assert.Equal(AnswerErrorCodes.InvalidOutput, checkedAnswer.ErrorCode);
        Assert.Contains("/n: type: ", checkedAnswer.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal((retries + 1) * 10, checkedAnswer.PromptTokens);
    }

    [Fact]
    public async Task An_answer_that_becomes_valid_is_kept_and_its_rejected_asks_are_counted()
    {
        var answers = new Answers([Chat("not json"), Chat("""{"n":1.5}"""), Chat("""{"n":2}""")]);

        var checkedAnswer = await Checker(2).CallAsync(answers.NextAsync, Format, isResponse: false);

        Assert.Null(checkedAnswer.ErrorCode);
        Assert.Equal(2, checkedAnswer.InvalidOutputs);
        Assert.Equal(3, answers.Calls);
        Assert.Equal("""{"n":2}""", ModelAnswer.Read(checkedAnswer.Result.Body.Span, isResponse: false).Text);
    }

    [Fact]
    public async Task A_refusal_is_not_asked_again_and_fails_refused()
    {
        var refusal = """{"object":"response","output":[{"type":"message","content":[{"type":"refusal","refusal":"No."}]}],"usage":{"input_tokens":4,"output_tokens":2}}""";
        var answers = new Answers([Ok(refusal), Ok(refusal)]);

        var checkedAnswer = await Checker(2).CallAsync(answers.NextAsync, Format, isResponse: true);

        Assert.Equal(1, answers.Calls);
        Assert.Equal(AnswerErrorCodes.Refused, checkedAnswer.ErrorCode);
        Assert.Contains("No.", checkedAnswer.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(0, checkedAnswer.InvalidOutputs);
        Assert.Equal((4, 2), (checkedAnswer.PromptTokens, checkedAnswer.CompletionTokens));
    }

    [Fact]
    public async Task A_failed_call_ends_the_asks_as_it_is()
    {
        var answers = new Answers([Chat("[]"), new ChatCallResult(429, "{}"u8.ToArray(), null, TimeSpan.FromSeconds(1))]);

        var checkedAnswer = await Checker(2).CallAsync(answers.NextAsync, Format, isResponse: false);

        Assert.Equal(429, checkedAnswer.Result.Status);
        Assert.Null(checkedAnswer.ErrorCode);
        Assert.Equal(1, checkedAnswer.InvalidOutputs);
    }

    [Fact]
    public async Task A_line_without_a_format_is_asked_once()
    {
        var answers = new Answers([Chat("anything")]);

        var checkedAnswer = await Checker(2).CallAsync(answers.NextAsync, null, isResponse: false);

        Assert.Equal(1, answers.Calls);
        Assert.True(checkedAnswer.Result.IsSuccess);
    }

    private static AnswerChecker Checker(int retries)
        => new(Microsoft.Extensions.Options.Options.Create(new BatchOptions { InvalidOutputRetries = retries }));

    private static ChatCallResult Chat(string content)
        => Ok(JsonSerializer.Serialize(new
        {
            @object = "chat.completion",
            choices = new[] { new { index = 0, message = new { role = "assistant", content } } },
            usage = new { prompt_tokens = 10, completion_tokens = 3 },
        }));

    private static ChatCallResult Ok(string body) => new(200, Encoding.UTF8.GetBytes(body), "req", null);

    /// <summary>Answers in order, counting the calls.</summary>
    private sealed class Answers(IEnumerable<ChatCallResult> answers)
    {
        private readonly Queue<ChatCallResult> _queue = new(answers);

        public int Calls { get; private set; }

        public Task<ChatCallResult> NextAsync()
        {
            Calls++;
            return Task.FromResult(_queue.Dequeue());
        }
    }
}
