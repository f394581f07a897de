using System.Text;
using Fanout.Core.Estimates;
using Fanout.Core.Jsonl;
using Fanout.Core.Options;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace Fanout.Tests.Estimates;

public sealed class BatchEstimatorTests
{
    private static BatchEstimator Estimator(Dictionary<string, string?>? settings = null, BatchOptions? options = null, SimulatedQuota? simulator = null)
        => new(
            TestEstimateSettings.From(settings, simulator),
            Microsoft.Extensions.Options.Options.Create(options ?? new BatchOptions()));

    private static string Line(string id, string content, string? model = null, string? extra = null)
    {
        var body = (model is null ? "" : "\"model\": \"" + model + "\", ")
            + "\"messages\": [{\"role\": \"user\", \"content\": \"" + content + "\"}]"
            + (extra is null ? "" : ", " + extra);
        return "{\"custom_id\": \"" + id + "\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\", \"body\": {" + body + "}}";
    }

    private static MemoryStream Jsonl(params string[] lines) => new(Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n"));

    // One user message costs 3 (message) + 1 ("user") + its text + 3 (reply priming); the texts' counts are the
    // tiktoken counts of token-fixture.json, the same in o200k_base and cl100k_base: Hello 1, "Hello, world!" 4,
    // "tiktoken is great!" 6.
    private static MemoryStream ThreeLines(string? model = null) => Jsonl(
        Line("a", "Hello", model, "\"max_tokens\": 100"),
        Line("b", "Hello, world!", model, "\"max_completion_tokens\": 50, \"max_tokens\": 7, \"n\": 2"),
        Line("c", "tiktoken is great!", model));

    [Fact]
    public async Task Counts_prompt_tokens_and_output_bounds_and_prices_them()
    {
        var estimator = Estimator(new()
        {
            ["Fanout:Pricing:gpt-4o-mini:InputPerMillion"] = "2.5",
            ["Fanout:Pricing:gpt-4o-mini:OutputPerMillion"] = "10",
            ["Fanout:Estimate:DefaultMaxCompletionTokens"] = "1000",
        });

        var estimate = await estimator.EstimateAsync(ThreeLines(), "gpt-4o-mini", CancellationToken.None);

        Assert.Equal("batch_estimate", estimate.Object);
        Assert.Equal(3, estimate.Lines);
        Assert.Equal(0, estimate.Invalid);
        Assert.Empty(estimate.LineErrors);
        Assert.Equal(8 + 11 + 13, estimate.PromptTokens);
        Assert.Equal(100 + (50 * 2) + 1000, estimate.MaxCompletionTokens);
        // 32 × 2.5 / 1e6 = 0.00008; + 1200 × 10 / 1e6 = 0.012.
        Assert.Equal(new EstimatedCost("USD", 0.00008m, 0.01208m), estimate.EstimatedCost);
        Assert.Null(estimate.EstimatedSecondsAtQuota);
    }

    [Fact]
    public async Task Responses_lines_count_their_input_and_instructions_as_chat_messages_and_are_bounded_by_max_output_tokens()
    {
        var estimator = Estimator(new() { ["Fanout:Estimate:DefaultMaxCompletionTokens"] = "1000" });
        var input = Jsonl(
            """{"custom_id": "r1", "method": "POST", "url": "/v1/responses", "body": {"input": "Hello", "max_output_tokens": 40}}""",
            """{"custom_id": "r2", "method": "POST", "url": "/responses", "body": {"instructions": "Hello, world!", "input": [{"role": "user", "content": [{"type": "input_text", "text": "tiktoken is great!"}]}]}}""",
            Line("c", "Hello", extra: "\"max_tokens\": 5"));

        var estimate = await estimator.EstimateAsync(input, "gpt-4o-mini", CancellationToken.None);

        Assert.Equal((3, 0), (estimate.Lines, estimate.Invalid));
        // r1 as one user message (8); r2: the instructions as a system message (3 + 1 + 4) and its item (3 + 1 + 6) + 3; c: 8.
        Assert.Equal(8 + 8 + 13 + 8, estimate.PromptTokens);
        Assert.Equal(40 + 1000 + 5, estimate.MaxCompletionTokens);
    }

    [Fact]
    public async Task A_model_without_a_price_gives_no_cost_at_all()
    {
        var estimator = Estimator(new()
        {
            ["Fanout:Pricing:gpt-4o-mini:InputPerMillion"] = "0.15",
            ["Fanout:Pricing:gpt-4o-mini:OutputPerMillion"] = "0.6",
            ["Fanout:Pricing:half-priced:InputPerMillion"] = "1",
        });

        var unknown = await estimator.EstimateAsync(ThreeLines(), "brand-new-model", CancellationToken.None);
        var halfPriced = await estimator.EstimateAsync(ThreeLines(), "half-priced", CancellationToken.None);
        var mixed = await estimator.EstimateAsync(Jsonl(Line("a", "Hello", "gpt-4o-mini"), Line("b", "Hello", "brand-new-model")), "gpt-4o-mini", CancellationToken.None);

        Assert.Null(unknown.EstimatedCost);
        Assert.Equal(32, unknown.PromptTokens);
        Assert.Null(halfPriced.EstimatedCost);
        Assert.Null(mixed.EstimatedCost);
    }

    [Fact]
    public async Task Time_at_quota_sums_the_tokens_per_minute_of_the_models_pool_members()
    {
        var estimator = Estimator(new()
        {
            ["Fanout:OpenAI:Pool:0:Endpoint"] = "http://127.0.0.1:1/",
            ["Fanout:OpenAI:Pool:0:Model"] = "gpt-4o-mini",
            ["Fanout:OpenAI:Pool:0:Deployment"] = "east",
            ["Fanout:OpenAI:Pool:0:TokensPerMinute"] = "1000",
            ["Fanout:OpenAI:Pool:1:Endpoint"] = "http://127.0.0.1:2/",
            ["Fanout:OpenAI:Pool:1:Deployment"] = "gpt-4o-mini",
            ["Fanout:OpenAI:Pool:1:TokensPerMinute"] = "2000",
            ["Fanout:OpenAI:Pool:2:Endpoint"] = "http://127.0.0.1:3/",
            ["Fanout:OpenAI:Pool:2:Deployment"] = "other",
            ["Fanout:OpenAI:Pool:2:Model"] = "other",
            ["Fanout:OpenAI:Pool:2:TokensPerMinute"] = "99999",
            ["Fanout:Simulator:TokensPerMinute"] = "5",
        });

        var estimate = await estimator.EstimateAsync(ThreeLines(), "gpt-4o-mini", CancellationToken.None);

        // (32 prompt + 100 + 100 + 4096 output) tokens at 3000 tokens per minute.
        Assert.Equal(Math.Round((32 + 200 + EstimateSettings.DefaultMaxCompletionTokens) * 60.0 / 3000, 1), estimate.EstimatedSecondsAtQuota);
    }

    [Theory]
    [InlineData(true, 60.0 * (32 + 200 + 4096) / 600)]
    [InlineData(false, null)]
    public async Task The_simulators_quota_counts_only_when_the_simulator_is_the_llm(bool inUse, double? seconds)
    {
        var estimator = Estimator(simulator: inUse ? new SimulatedQuota(600) : null);

        var estimate = await estimator.EstimateAsync(ThreeLines(), "gpt-4o-mini", CancellationToken.None);

        Assert.Equal(seconds is null ? null : Math.Round(seconds.Value, 1), estimate.EstimatedSecondsAtQuota);
    }

    [Fact]
    public async Task Bad_lines_get_the_errors_a_submit_gives_them_and_count_nothing()
    {
        var input = new[]
        {
            Line("ok", "Hello"),
            "not json",
            Line("ok", "duplicate id"),
            """{"custom_id": "x", "method": "GET", "url": "/v1/chat/completions", "body": {"messages": [{"role": "user", "content": "Hi"}]}}""",
            """{"custom_id": "y", "method": "POST", "url": "/v1/chat/completions", "body": {"messages": []}}""",
            "",
            Line("last", "Hello"),
        };
        var submitErrors = new List<(int, string?, string, string)>();
        await foreach (var line in JsonlBatchReader.ReadAsync(Jsonl(input)))
        {
            if (line.Error is { } e)
            {
                submitErrors.Add((line.Index, line.CustomId, e.Code, e.Message));
            }
        }

        var estimate = await Estimator().EstimateAsync(Jsonl(input), "gpt-4o-mini", CancellationToken.None);

        Assert.Equal(7, estimate.Lines);
        Assert.Equal(5, estimate.Invalid);
        Assert.Equal(submitErrors, estimate.LineErrors.Select(e => (e.Index, e.CustomId, e.Error.Code, e.Error.Message)));
        Assert.Equal(
            [LineErrorCodes.InvalidJsonLine, LineErrorCodes.DuplicateCustomId, LineErrorCodes.InvalidMethod, LineErrorCodes.InvalidBody, LineErrorCodes.InvalidJsonLine],
            estimate.LineErrors.Select(e => e.Error.Code));
        Assert.Equal(8 + 8, estimate.PromptTokens);
    }

    [Fact]
    public async Task Lists_the_first_hundred_line_errors_but_counts_them_all()
    {
        var lines = Enumerable.Range(0, 150).Select(i => $"bad {i}").ToArray();

        var estimate = await Estimator().EstimateAsync(Jsonl(lines), "gpt-4o-mini", CancellationToken.None);

        Assert.Equal(150, estimate.Invalid);
        Assert.Equal(BatchEstimator.MaxLineErrors, estimate.LineErrors.Count);
        Assert.Equal(Enumerable.Range(0, 100), estimate.LineErrors.Select(e => e.Index));
    }

    [Fact]
    public async Task The_batch_limits_are_a_submits_limits()
    {
        var estimator = Estimator(options: new BatchOptions { MaxLines = 2 });

        var e = await Assert.ThrowsAsync<BatchLimitExceededException>(() => estimator.EstimateAsync(ThreeLines(), "gpt-4o-mini", CancellationToken.None));

        Assert.Equal(BatchLimitExceededException.TooManyLinesCode, e.Code);
    }

    [Fact]
    public async Task With_a_deadline_and_a_batch_member_the_estimate_has_a_deadline_plan_at_the_batch_discount()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Fanout:Pricing:gpt-4o-mini:InputPerMillion"] = "2.5",
            ["Fanout:Pricing:gpt-4o-mini:OutputPerMillion"] = "10",
            ["Fanout:Estimate:DefaultMaxCompletionTokens"] = "1000",
            ["Fanout:OpenAI:Pool:0:Endpoint"] = "http://127.0.0.1:1/",
            ["Fanout:OpenAI:Pool:0:Deployment"] = "gpt-4o-mini",
            ["Fanout:OpenAI:Pool:0:TokensPerMinute"] = "60000",
            ["Fanout:OpenAI:Pool:1:Endpoint"] = "http://127.0.0.1:1/",
            ["Fanout:OpenAI:Pool:1:Deployment"] = "gpt-4o-mini-batch",
            ["Fanout:OpenAI:Pool:1:Model"] = "gpt-4o-mini",
            ["Fanout:OpenAI:Pool:1:Tier"] = "batch",
            ["Fanout:OpenAI:Pool:1:TokensPerMinute"] = "1000000",
        };

        var withDeadline = await Estimator(settings).EstimateAsync(ThreeLines(), "gpt-4o-mini", CancellationToken.None, TimeSpan.FromHours(6));
        var without = await Estimator(settings).EstimateAsync(ThreeLines(), "gpt-4o-mini", CancellationToken.None);
        settings.Remove("Fanout:OpenAI:Pool:1:Tier");
        var noBatchMember = await Estimator(settings).EstimateAsync(ThreeLines(), "gpt-4o-mini", CancellationToken.None, TimeSpan.FromHours(6));

        // The live plan is the estimate as before (the batch member's quota is not live quota): 1,232 tokens at 60,000/min.
        Assert.Equal(2, withDeadline.Plans!.Count);
        Assert.Equal(new EstimatePlan("live", new EstimatedCost("USD", 0.00008m, 0.01208m), 1.2), withDeadline.Plans[0]);
        Assert.Equal(new EstimatePlan("deadline", new EstimatedCost("USD", 0.00004m, 0.00604m), 6 * 3600), withDeadline.Plans[1]);
        Assert.Equal(["live"], without.Plans!.Select(p => p.Name));
        Assert.Equal(["live"], noBatchMember.Plans!.Select(p => p.Name));
    }
}
