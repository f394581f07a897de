using System.Text.Json;
using Fanout.Core.Jsonl;
using Fanout.Core.Models;
using Fanout.Core.Options;
using Microsoft.Extensions.Options;

namespace Fanout.Core.Estimates;

/// <summary>
/// The dry run: streams a batch through the same reader and validation as a submit (same limits, same per-line errors),
/// counts tokens per model, and prices them. Stores nothing and calls no model; holds one line at a time.
/// </summary>
public sealed class BatchEstimator(EstimateSettings settings, IOptions<BatchOptions> options, Cache.ResponseCacheStore? cache = null)
{
    /// <summary>How many per-line errors an estimate lists.</summary>
    public const int MaxLineErrors = 100;

    /// <summary>
    /// Estimates the batch in <paramref name="input"/> (JSONL); <paramref name="deployment"/> names the model of lines
    /// without <c>body.model</c>; <paramref name="deadlineIn"/> is the time the batch's deadline leaves (null: none).
    /// Throws <see cref="BatchLimitExceededException"/> past the limits, as a submit does.
    /// </summary>
    public Task<BatchEstimate> EstimateAsync(Stream input, string deployment, CancellationToken cancellationToken, TimeSpan? deadlineIn = null)
        => EstimateAsync(input, deployment, useCache: false, cancellationToken, deadlineIn);

    /// <summary>
    /// As <see cref="EstimateAsync(Stream, string, CancellationToken, TimeSpan?)"/>; with <paramref name="useCache"/>, lines the
    /// response cache would answer (<see cref="BatchEstimate.CachedLines"/>) are left out of tokens, cost and time.
    /// </summary>
    public async Task<BatchEstimate> EstimateAsync(Stream input, string deployment, bool useCache, CancellationToken cancellationToken, TimeSpan? deadlineIn = null)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var cached = 0;
        var o = options.Value;
        var readerOptions = new JsonlReaderOptions { MaxLineBytes = o.MaxLineBytes, MaxLines = o.MaxLines, MaxTotalBytes = o.MaxBytes };
        var unbounded = settings.MaxCompletionTokensWhenUnset;
        var models = new Dictionary<string, ModelTally>(StringComparer.Ordinal);
        var errors = new List<EstimateLineError>();
        var lines = 0;
        var invalid = 0;
        await foreach (var line in JsonlBatchReader.ReadAsync(input, readerOptions, cancellationToken).ConfigureAwait(false))
        {
            lines++;
            if (line.Error is { } error)
            {
                invalid++;
                if (errors.Count < MaxLineErrors)
                {
                    errors.Add(new EstimateLineError(line.Index, line.CustomId, new ApiError(error.Code, error.Message)));
                }

                continue;
            }

            var model = line.Model ?? deployment;
            if (useCache && cache is not null)
            {
                var key = Cache.RequestKey.Of(Cache.RequestKey.UrlOf(line.IsEmbedding, line.IsResponse), model, line.Body.Span);
                if (!seen.Add(key) || await cache.IsFreshAsync(key, cancellationToken).ConfigureAwait(false))
                {
                    cached++;
                    continue;
                }
            }

            if (!models.TryGetValue(model, out var tally))
            {
                tally = new ModelTally(ChatTokenCounter.EncodingFor(model));
                models.Add(model, tally);
            }

            tally.Prompt += line.IsResponse
                ? ResponsesTokenCounter.CountPrompt(tally.Encoding, line.Body.Span)
                : ChatTokenCounter.CountPrompt(tally.Encoding, line.Body.Span);
            tally.Completion += OutputBound(line.Body.Span, unbounded);
        }

        var cost = Cost(models);
        var seconds = Seconds(models);
        var plans = new List<EstimatePlan> { new("live", cost, seconds) };
        if (deadlineIn is { } left && models.Count > 0 && models.Keys.All(settings.HasBatchMember))
        {
            // The Batch API at its discount; done by the deadline at the latest (sooner when live at the quota would be).
            plans.Add(new EstimatePlan("deadline", Cost(models, batch: true), Math.Round(Math.Max(0, left.TotalSeconds), 1)));
        }

        return new BatchEstimate(
            lines,
            invalid,
            errors,
            models.Values.Sum(t => t.Prompt),
            models.Values.Sum(t => t.Completion),
            cost,
            seconds,
            plans,
            cached);
    }

    /// <summary>
    /// The most output tokens a request may produce: <c>max_completion_tokens</c> (<c>max_output_tokens</c> on a
    /// responses line), else <c>max_tokens</c>, else <paramref name="unbounded"/>; times <c>n</c> (choices).
    /// </summary>
    internal static long OutputBound(ReadOnlySpan<byte> body, int unbounded)
    {
        int? maxCompletion = null, maxTokens = null;
        var n = 1;
        var reader = new Utf8JsonReader(body);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var which = reader.ValueTextEquals("max_completion_tokens"u8) || reader.ValueTextEquals("max_output_tokens"u8) ? 1
                : reader.ValueTextEquals("max_tokens"u8) ? 2 : reader.ValueTextEquals("n"u8) ? 3 : 0;
            reader.Read();
            if (which != 0 && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value) && value > 0)
            {
                switch (which)
                {
                    case 1: maxCompletion = value; break;
                    case 2: maxTokens = value; break;
                    default: n = value; break;
                }
            }

            reader.Skip();
        }

        return (long)(maxCompletion ?? maxTokens ?? unbounded) * n;
    }

    private EstimatedCost? Cost(Dictionary<string, ModelTally> models, bool batch = false)
    {
        decimal low = 0, high = 0;
        foreach (var (model, tally) in models)
        {
            if (settings.PriceOf(model) is not { } price)
            {
                // No price for a model that lines use: any total would be made up.
                return null;
            }

            var factor = batch ? price.BatchDiscount : 1m;
            var input = tally.Prompt * price.InputPerMillion / 1_000_000m * factor;
            low += input;
            high += input + (tally.Completion * price.OutputPerMillion / 1_000_000m * factor);
        }

        return new EstimatedCost(settings.Currency, low, high);
    }

    private double? Seconds(Dictionary<string, ModelTally> models)
    {
        // Each model's pool has its own quota and they run side by side: the slowest one sets the time.
        double seconds = 0;
        foreach (var (model, tally) in models)
        {
            if (settings.TokensPerMinuteOf(model) is not { } tpm)
            {
                return null;
            }

            seconds = Math.Max(seconds, (tally.Prompt + tally.Completion) * 60.0 / tpm);
        }

        return Math.Round(seconds, 1);
    }

    private sealed class ModelTally(string encoding)
    {
        public string Encoding { get; } = encoding;

        public long Prompt { get; set; }

        public long Completion { get; set; }
    }
}
