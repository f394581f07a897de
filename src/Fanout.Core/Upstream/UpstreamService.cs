using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using Fanout.Core.Attempts;
using Fanout.Core.Llm.Pool;
using Fanout.Core.Models;
using Fanout.Core.Options;
using Fanout.Core.Storage;
using Fanout.Core.StructuredOutputs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fanout.Core.Upstream;

/// <summary>
/// The work behind <see cref="Orchestrations.UpstreamOrchestrator"/>'s activities: which lines may go to the Batch API
/// (chat lines whose pool has a <c>batch</c> member), uploading them as upstream files and creating the upstream batches
/// (each found first, so a repeat after a crash makes nothing twice), looking at them, and reading their output back by
/// <c>custom_id</c> into the same result segments live lines write. Lines that failed, expired, were cancelled or whose
/// answer breaks the line's structured-output schema are not stored: the live run that follows runs them.
/// </summary>
public sealed partial class UpstreamService(
    BatchStore store, IOptions<PoolOptions> pool, IOptions<CostOptions> cost, Estimates.EstimateSettings estimates, ILogger<UpstreamService> logger,
    IOptions<OpenAIOptions>? openAI = null)
{
    private readonly ConcurrentDictionary<string, UpstreamBatchClient> _clients = new(StringComparer.Ordinal);

    /// <summary>The batch member serving the lines of <paramref name="model"/>, or null when its pool has none.</summary>
    public PoolMember? BatchMemberOf(string model)
        => pool.Value.Members.FirstOrDefault(m => m.Tier == PoolTier.Batch && string.Equals(m.Model, model, StringComparison.Ordinal));

    /// <summary>What the planner needs: the lines that can go upstream, their tokens, the live quota.</summary>
    public async Task<UpstreamPlan> PlanAsync(UpstreamStep step, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(step);
        var options = cost.Value;
        if (!pool.Value.Members.Any(m => m.Tier == PoolTier.Batch))
        {
            // The common case (every /v1 batch has a deadline): nothing to read.
            return new UpstreamPlan(0, 0, null, null, options.DeadlineMargin, options.UpstreamPollSeconds, "the pool has no batch member (Fanout:OpenAI:Pool:{i}:Tier=batch)");
        }

        var lines = 0;
        double tokens = 0;
        var models = new HashSet<string>(StringComparer.Ordinal);
        var liveModels = new HashSet<string>(StringComparer.Ordinal);
        for (var chunk = 0; chunk < step.Prepared.ChunkCount; chunk++)
        {
            foreach (var line in await store.ReadPreparedChunkAsync(step.BatchId, chunk, cancellationToken).ConfigureAwait(false))
            {
                var model = line.Model ?? step.Deployment;
                liveModels.Add(model);
                if (Eligible(line) && BatchMemberOf(model) is not null)
                {
                    lines++;
                    models.Add(model);
                    tokens += QuotaTokens(line);
                }
            }
        }

        if (lines == 0)
        {
            return new UpstreamPlan(0, 0, null, null, options.DeadlineMargin, options.UpstreamPollSeconds,
                "no chat line of this batch has a pool with a batch member (Fanout:OpenAI:Pool:{i}:Tier=batch)");
        }

        long? tpm = null;
        int? rpm = null;
        foreach (var model in liveModels)
        {
            if (estimates.TokensPerMinuteOf(model) is { } t)
            {
                tpm = (tpm ?? 0) + t;
            }

            foreach (var member in pool.Value.Members.Where(m => m.Tier != PoolTier.Batch && m.Model == model && m.RequestsPerMinute is > 0))
            {
                rpm = (rpm ?? 0) + member.RequestsPerMinute!.Value;
            }
        }

        return new UpstreamPlan(lines, tokens / lines, tpm, rpm, options.DeadlineMargin, options.UpstreamPollSeconds,
            tpm is null && rpm is null ? "the live members' quota is not known (give them TokensPerMinute or RequestsPerMinute)" : null);
    }

    /// <summary>
    /// Uploads the upstream files (when <see cref="UpstreamStep.Parts"/> is null) and creates every upstream batch not
    /// created yet; a part the enqueued-token quota refuses stays <see cref="UpstreamPart.Pending"/> (asked again later).
    /// </summary>
    public async Task<IReadOnlyList<UpstreamPart>> SubmitAsync(UpstreamStep step, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(step);
        var parts = step.Parts ?? await UploadAsync(step, cancellationToken).ConfigureAwait(false);
        var result = new List<UpstreamPart>(parts.Count);
        foreach (var part in parts)
        {
            if (part.BatchId is not null || part.FileId is null || part.Ended)
            {
                result.Add(part);
                continue;
            }

            var batch = await ClientOf(part.Member).CreateOnceAsync(step.BatchId, part.Part, part.FileId, cancellationToken).ConfigureAwait(false);
            var status = batch.GetProperty("status").GetString() ?? UpstreamPart.Pending;
            if (status == "failed")
            {
                // Refused at once (the enqueued-token quota is full, or the file is wrong): the part waits and is asked
                // again at the next look; the deadline's pull-back runs its lines live if it never starts.
                LogRefused(logger, step.BatchId, part.Part, FirstError(batch));
                result.Add(part);
                continue;
            }

            LogCreated(logger, step.BatchId, part.Part, batch.GetProperty("id").GetString()!, part.Lines, part.Member);
            result.Add(part with { BatchId = batch.GetProperty("id").GetString(), Status = status });
        }

        return result;
    }

    /// <summary>
    /// Looks at every upstream batch not collected yet (cancelling it first with <see cref="UpstreamStep.Cancel"/>), and
    /// reads the output of each one that ended into the batch's result segments.
    /// </summary>
    public async Task<IReadOnlyList<UpstreamPart>> PollAsync(UpstreamStep step, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(step.Parts);
        var result = new List<UpstreamPart>(step.Parts.Count);
        foreach (var part in step.Parts)
        {
            if (part.Collected)
            {
                result.Add(part);
                continue;
            }

            if (part.BatchId is null)
            {
                // Never started (the quota stayed full): on a pull-back its lines simply run live.
                result.Add(step.Cancel ? part with { Status = "cancelled", Collected = true, Failed = part.Lines } : part);
                continue;
            }

            var client = ClientOf(part.Member);
            var batch = await client.GetAsync(part.BatchId, cancellationToken).ConfigureAwait(false);
            var status = batch.GetProperty("status").GetString() ?? part.Status;
            if (step.Cancel && !UpstreamPart.IsEnded(status) && status != "cancelling")
            {
                await client.CancelAsync(part.BatchId, cancellationToken).ConfigureAwait(false);
                LogCancelled(logger, step.BatchId, part.Part, part.BatchId);
                batch = await client.GetAsync(part.BatchId, cancellationToken).ConfigureAwait(false);
                status = batch.GetProperty("status").GetString() ?? status;
            }

            var seen = part with { Status = status };
            result.Add(seen.Ended ? await CollectAsync(step, seen, batch, client, cancellationToken).ConfigureAwait(false) : seen);
        }

        return result;
    }

    /// <summary>Lines without a stored result in chunk <paramref name="input"/> (after the Batch API answered some).</summary>
    public Task<IReadOnlyList<int>> MissingAsync(MissingLinesInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        return store.MissingInChunkAsync(input.BatchId, input.ChunkSize, input.Chunk, input.Count, cancellationToken);
    }

    private async Task<UpstreamPart> CollectAsync(UpstreamStep step, UpstreamPart part, JsonElement batch, UpstreamBatchClient client, CancellationToken cancellationToken)
    {
        int answered = 0, failed = 0;
        long prompt = 0, completion = 0;
        var kinds = FailureKinds.None;
        var byChunk = new SortedDictionary<int, List<(int Index, byte[] Line)>>();
        if (Text(batch, "output_file_id") is { } output)
        {
            var content = await client.DownloadAsync(output, cancellationToken).ConfigureAwait(false);
            foreach (var raw in Lines(content))
            {
                var read = await ReadAnswerAsync(step, raw, cancellationToken).ConfigureAwait(false);
                if (read is { } ok)
                {
                    answered++;
                    prompt += ok.Prompt;
                    completion += ok.Completion;
                    var chunk = ok.Index / step.Prepared.ChunkSize;
                    if (!byChunk.TryGetValue(chunk, out var list))
                    {
                        byChunk[chunk] = list = [];
                    }

                    list.Add((ok.Index, ok.Line));
                }
                else
                {
                    failed++;
                    kinds = kinds.Add(FailureKinds.Of(AttemptKind.Http5xx));
                }
            }
        }

        if (Text(batch, "error_file_id") is { } errors)
        {
            var content = await client.DownloadAsync(errors, cancellationToken).ConfigureAwait(false);
            foreach (var raw in Lines(content))
            {
                failed++;
                kinds = kinds.Add(FailureKinds.Of(StatusOf(raw) is >= 400 and < 500 and not 429 ? AttemptKind.Http4xx : AttemptKind.Http5xx));
            }
        }

        foreach (var (chunk, lines) in byChunk)
        {
            for (var i = 0; i < lines.Count; i += ResultSegmentWriter.MaxLinesPerSegment)
            {
                var segment = lines.GetRange(i, Math.Min(ResultSegmentWriter.MaxLinesPerSegment, lines.Count - i));
                await store.WriteResultSegmentAsync(step.BatchId, chunk, chunk, ResultSegmentWriter.Encode(segment), cancellationToken).ConfigureAwait(false);
            }
        }

        // What the upstream batch did, in the batch's attempt journals: its own journal holding one record, written the
        // same way again if this runs twice (readers take a journal's last record), under the member's tier and model.
        var member = pool.Value.Members.FirstOrDefault(m => m.Name == part.Member);
        var usage = new DeploymentUsage(answered + failed, prompt, completion, 0, failed, PoolTier.Batch, member?.Model, answered, kinds);
        await store.AppendAttemptRecordAsync(
            UpstreamLayout.Journal(step.BatchId, part.Part), AttemptJournal.Record(new Dictionary<string, DeploymentUsage> { [part.Member] = usage }), create: true, cancellationToken).ConfigureAwait(false);
        LogCollected(logger, step.BatchId, part.Part, part.Status, answered, part.Lines - answered);
        return part with { Collected = true, Answered = answered, PromptTokens = prompt, CompletionTokens = completion, Failed = Math.Max(failed, part.Lines - answered) };
    }

    /// <summary>An output line's answer as a Fanout result line; null when the line failed or its answer breaks the line's format.</summary>
    private async Task<(int Index, byte[] Line, int Prompt, int Completion)?> ReadAnswerAsync(UpstreamStep step, ReadOnlyMemory<byte> raw, CancellationToken cancellationToken)
    {
        using var doc = JsonDocument.Parse(raw);
        var root = doc.RootElement;
        if (!UpstreamLayout.TryParseCustomId(Text(root, "custom_id"), out var index) || index < 0 || index >= step.Prepared.Total
            || !root.TryGetProperty("response", out var response) || response.ValueKind != JsonValueKind.Object
            || !response.TryGetProperty("status_code", out var code) || code.ValueKind != JsonValueKind.Number || code.GetInt32() != 200
            || !response.TryGetProperty("body", out var body) || body.ValueKind != JsonValueKind.Object || body.TryGetProperty("error", out _))
        {
            return null;
        }

        var line = await store.ReadPreparedLineAsync(step.BatchId, index, step.Prepared.ChunkSize, cancellationToken).ConfigureAwait(false);
        var bodyBytes = JsonSerializer.SerializeToUtf8Bytes(body);
        if (AnswerFormat.Read(line.Body.Span, isResponse: false) is { } format)
        {
            var answer = ModelAnswer.Read(bodyBytes, isResponse: false);
            if (answer.Refusal is not null || AnswerValidator.Check(format, answer.Text) is not null)
            {
                // Asked again live, where the re-asks and the refusal rules apply.
                return null;
            }
        }

        var (prompt, completion) = OutputLines.ReadUsage(bodyBytes);
        return (index, OutputLines.Success(step.BatchId, index, line.CustomId, Text(response, "request_id"), 200, bodyBytes), prompt, completion);
    }

    private async Task<IReadOnlyList<UpstreamPart>> UploadAsync(UpstreamStep step, CancellationToken cancellationToken)
    {
        // Parts, in line order: one member's lines, cut at the upstream file limits.
        var parts = new List<UpstreamPart>();
        var open = new Dictionary<string, (ArrayBufferWriter<byte> Content, int Lines)>(StringComparer.Ordinal);
        async Task FlushAsync(string member)
        {
            var (content, count) = open[member];
            open.Remove(member);
            var number = parts.Count;
            var fileId = await ClientOf(member).UploadOnceAsync(UpstreamLayout.FileName(step.BatchId, number), BinaryData.FromBytes(content.WrittenMemory), cancellationToken).ConfigureAwait(false);
            parts.Add(new UpstreamPart(number, member, count, fileId));
        }

        for (var chunk = 0; chunk < step.Prepared.ChunkCount; chunk++)
        {
            var lines = await store.ReadPreparedChunkAsync(step.BatchId, chunk, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < lines.Count; i++)
            {
                var line = lines[i];
                if (!Eligible(line) || BatchMemberOf(line.Model ?? step.Deployment) is not { } member)
                {
                    continue;
                }

                var bytes = UpstreamLine(chunk * step.Prepared.ChunkSize + i, member.Deployment, line.Body.Span);
                if (open.TryGetValue(member.Name, out var current)
                    && (current.Lines >= UpstreamLayout.MaxLinesPerFile || current.Content.WrittenCount + bytes.Length > UpstreamLayout.MaxBytesPerFile))
                {
                    await FlushAsync(member.Name).ConfigureAwait(false);
                }

                if (!open.TryGetValue(member.Name, out current))
                {
                    current = (new ArrayBufferWriter<byte>(), 0);
                }

                current.Content.Write(bytes);
                open[member.Name] = (current.Content, current.Lines + 1);
            }
        }

        foreach (var member in open.Keys.ToList())
        {
            await FlushAsync(member).ConfigureAwait(false);
        }

        LogUploaded(logger, step.BatchId, parts.Count, parts.Sum(p => p.Lines));
        return parts;
    }

    /// <summary>One upstream input line: <c>{"custom_id": "fanout-{index}", "method": "POST", "url": "/chat/completions", "body": {…, "model": deployment}}</c>.</summary>
    internal static byte[] UpstreamLine(int index, string deployment, ReadOnlySpan<byte> body)
    {
        var buffer = new ArrayBufferWriter<byte>(body.Length + 128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("custom_id", UpstreamLayout.CustomId(index));
            w.WriteString("method", "POST");
            w.WriteString("url", UpstreamLayout.ChatUrl);
            w.WriteStartObject("body");
            w.WriteString("model", deployment);
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name != "model")
                {
                    property.WriteTo(w);
                }
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Chat lines go upstream; embeddings, Responses and invalid lines run live.</summary>
    private static bool Eligible(PreparedLine line) => !line.IsError && !line.IsEmbedding && !line.IsResponse;

    /// <summary>Quota tokens of a line, as the estimate counts them: its bytes / 4 plus its output bound.</summary>
    private double QuotaTokens(PreparedLine line)
    {
        var bound = (double)estimates.MaxCompletionTokensWhenUnset;
        try
        {
            using var doc = JsonDocument.Parse(line.Body);
            foreach (var name in (string[])["max_completion_tokens", "max_tokens"])
            {
                if (doc.RootElement.TryGetProperty(name, out var value) && value.TryGetInt32(out var n) && n > 0)
                {
                    bound = n;
                    break;
                }
            }
        }
        catch (JsonException)
        {
        }

        return (line.Body.Length / 4.0) + bound;
    }

    private UpstreamBatchClient ClientOf(string member)
        => _clients.GetOrAdd(member, name => new UpstreamBatchClient(pool.Value.Members.First(m => m.Name == name), openAI?.Value.ManagedIdentityClientId));

    private static IEnumerable<ReadOnlyMemory<byte>> Lines(BinaryData content)
    {
        var memory = content.ToMemory();
        while (!memory.IsEmpty)
        {
            var end = memory.Span.IndexOf((byte)'\n');
            var line = end < 0 ? memory : memory[..end];
            memory = end < 0 ? ReadOnlyMemory<byte>.Empty : memory[(end + 1)..];
            if (!line.Span.Trim(" \r\t"u8).IsEmpty)
            {
                yield return line;
            }
        }
    }

    private static int? StatusOf(ReadOnlyMemory<byte> raw)
    {
        try
        {
            using var doc = JsonDocument.Parse(raw);
            return doc.RootElement.TryGetProperty("response", out var r) && r.ValueKind == JsonValueKind.Object
                && r.TryGetProperty("status_code", out var s) && s.TryGetInt32(out var n) ? n : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement element, string name)
        => element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string FirstError(JsonElement batch)
        => batch.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Object && e.TryGetProperty("data", out var data)
            && data.ValueKind == JsonValueKind.Array && data.GetArrayLength() > 0
            ? $"{Text(data[0], "code")}: {Text(data[0], "message")}"
            : "no error given";

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {BatchId}: {Lines} lines uploaded to the Batch API in {Parts} file(s)")]
    private static partial void LogUploaded(ILogger logger, string batchId, int parts, int lines);

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {BatchId} part {Part}: upstream batch {Upstream} holds {Lines} lines on {Member}")]
    private static partial void LogCreated(ILogger logger, string batchId, int part, string upstream, int lines, string member);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Batch {BatchId} part {Part}: the Batch API refused the upstream batch ({Error}); asked again at the next look")]
    private static partial void LogRefused(ILogger logger, string batchId, int part, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {BatchId} part {Part}: upstream batch {Upstream} cancelled (the deadline's pull-back)")]
    private static partial void LogCancelled(ILogger logger, string batchId, int part, string upstream);

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {BatchId} part {Part}: upstream batch {Status}, {Answered} answers stored, {Live} lines left to run live")]
    private static partial void LogCollected(ILogger logger, string batchId, int part, string status, int answered, int live);
}
