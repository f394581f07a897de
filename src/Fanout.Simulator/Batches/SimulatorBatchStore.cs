using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Fanout.Simulator.Apis;
using Fanout.Simulator.Options;

namespace Fanout.Simulator.Batches;

/// <summary>
/// The files and batches of the simulator's Batch API (in memory, for tests, demos and the bench). A batch's lines name
/// a <c>Kind=batch</c> deployment in <c>body.model</c>; it is answered like a chat call of that deployment, with
/// <see cref="SimulatorDeploymentOptions.BatchFailureRate"/> of its lines failing, its output in finishing order (not
/// input order), done <see cref="SimulatorDeploymentOptions.TurnaroundSeconds"/> after creation; over
/// <see cref="SimulatorDeploymentOptions.EnqueuedTokenLimit"/> a new batch fails as Azure's does.
/// </summary>
internal sealed class SimulatorBatchStore(SimulatorOptions options, TimeProvider time)
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly Dictionary<string, SimulatorFile> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SimulatorBatch> _batches = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private int _uploads;
    private int _created;

    /// <summary>Files uploaded so far.</summary>
    public int Uploads => Volatile.Read(ref _uploads);

    /// <summary>Batches created so far (failed ones included).</summary>
    public int Created => Volatile.Read(ref _created);

    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>Stores an upload.</summary>
    public SimulatorFile Upload(string name, string purpose, byte[] content)
    {
        var file = new SimulatorFile("file-" + Guid.NewGuid().ToString("N"), name, purpose, Now.ToUnixTimeSeconds(), content);
        lock (_lock)
        {
            _files[file.Id] = file;
        }

        Interlocked.Increment(ref _uploads);
        return file;
    }

    public SimulatorFile? File(string id)
    {
        lock (_lock)
        {
            return _files.GetValueOrDefault(id);
        }
    }

    public IReadOnlyList<SimulatorFile> Files()
    {
        lock (_lock)
        {
            return [.. _files.Values.OrderByDescending(f => f.CreatedAt)];
        }
    }

    public bool Delete(string id)
    {
        lock (_lock)
        {
            return _files.Remove(id);
        }
    }

    public SimulatorBatch? Batch(string id)
    {
        lock (_lock)
        {
            return _batches.GetValueOrDefault(id);
        }
    }

    public IReadOnlyList<SimulatorBatch> Batches()
    {
        lock (_lock)
        {
            return [.. _batches.Values.OrderByDescending(b => b.CreatedAt).ThenByDescending(b => b.Id, StringComparer.Ordinal)];
        }
    }

    /// <summary>Creates a batch from an uploaded file; a batch that cannot run is created <c>failed</c> with Azure's error, as Azure does.</summary>
    public SimulatorBatch Create(SimulatorFile input, string endpoint, string completionWindow, IReadOnlyDictionary<string, string>? metadata)
    {
        var now = Now;
        var id = "batch_" + Guid.NewGuid().ToString("N");
        Interlocked.Increment(ref _created);
        var parsed = Parse(input.Content);
        if (parsed.Error is { } error)
        {
            return Add(new SimulatorBatch(id, parsed.Deployment ?? "", endpoint, input.Id, completionWindow, now, [], metadata) { Failure = error });
        }

        var deployment = parsed.Deployment!;
        var settings = options.DeploymentOptions(deployment);
        if (settings is null || settings.Kind != "batch")
        {
            return Add(new SimulatorBatch(id, deployment, endpoint, input.Id, completionWindow, now, [], metadata)
            {
                Failure = ("model_not_found", $"The model '{deployment}' is not a global batch deployment. Use a deployment of type GlobalBatch in the body.model of every line."),
            });
        }

        // The lines finish one by one over the turnaround, in an order of their own (a seeded shuffle).
        var random = new Random(StringComparer.Ordinal.GetHashCode(id));
        var order = parsed.Lines.Select((l, i) => (Line: l, Key: random.NextDouble())).OrderBy(x => x.Key).Select(x => x.Line).ToList();
        var turnaround = TimeSpan.FromSeconds(settings.TurnaroundSeconds);
        var lines = order.Select((l, k) => new SimulatorBatchLine(
            l.CustomId, l.Body, now + (turnaround * ((k + 1.0) / order.Count)), random.NextDouble() < settings.BatchFailureRate, l.Tokens)).ToList();
        lock (_lock)
        {
            if (settings.EnqueuedTokenLimit > 0)
            {
                var enqueued = _batches.Values.Where(b => string.Equals(b.Deployment, deployment, StringComparison.OrdinalIgnoreCase)).Sum(b => b.EnqueuedTokensAt(now));
                if (enqueued + lines.Sum(l => l.Tokens) > settings.EnqueuedTokenLimit)
                {
                    var failed = new SimulatorBatch(id, deployment, endpoint, input.Id, completionWindow, now, [], metadata)
                    {
                        Failure = ("token_limit_exceeded", string.Create(CultureInfo.InvariantCulture,
                            $"The number of enqueued tokens has surpassed the configured limit of {settings.EnqueuedTokenLimit} for the deployment '{deployment}'. Please either increase the limit or try again once the current jobs have finished.")),
                    };
                    _batches[id] = failed;
                    return failed;
                }
            }

            var batch = new SimulatorBatch(id, deployment, endpoint, input.Id, completionWindow, now, lines, metadata);
            _batches[id] = batch;
            return batch;
        }
    }

    /// <summary>Cancels a batch that has not ended: the lines finished by now are kept.</summary>
    public SimulatorBatch? Cancel(string id)
    {
        lock (_lock)
        {
            if (_batches.GetValueOrDefault(id) is not { } batch)
            {
                return null;
            }

            if (batch.StatusAt(Now) == "in_progress")
            {
                batch.CancelledAt = Now;
            }

            return batch;
        }
    }

    /// <summary>The output and error files of a batch that has ended (written once, on first ask); nulls while it runs or when empty.</summary>
    public (string? Output, string? Errors) FilesOf(SimulatorBatch batch, DateTimeOffset now)
    {
        if (batch.StatusAt(now) is not ("completed" or "cancelled"))
        {
            return (null, null);
        }

        lock (_lock)
        {
            if (batch.Files is { } files)
            {
                return files;
            }

            var output = new MemoryStream();
            var errors = new MemoryStream();
            var n = 0;
            foreach (var line in batch.FinishedAt(now))
            {
                WriteResult(line.Fails ? errors : output, batch, line, n++);
            }

            string? Store(MemoryStream content, string suffix)
            {
                if (content.Length == 0)
                {
                    return null;
                }

                var file = new SimulatorFile("file-" + Guid.NewGuid().ToString("N"), $"{batch.Id}_{suffix}.jsonl", "batch_output", now.ToUnixTimeSeconds(), content.ToArray());
                _files[file.Id] = file;
                return file.Id;
            }

            batch.Files = (Store(output, "output"), Store(errors, "error"));
            return batch.Files.Value;
        }
    }

    private static void WriteResult(Stream to, SimulatorBatch batch, SimulatorBatchLine line, int n)
    {
        using (var w = new Utf8JsonWriter(to, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("id", $"batch_req_{batch.Id[6..]}_{n}");
            w.WriteString("custom_id", line.CustomId);
            w.WriteStartObject("response");
            using var doc = JsonDocument.Parse(line.Body);
            ChatRequest.TryParse(doc.RootElement, out var request, out _);
            w.WriteNumber("status_code", line.Fails ? 500 : 200);
            w.WriteString("request_id", Guid.NewGuid().ToString());
            w.WriteStartObject("body");
            if (line.Fails || request is null)
            {
                w.WriteStartObject("error");
                w.WriteString("code", "server_error");
                w.WriteString("message", "The server had an error processing your request (simulated batch line failure).");
                w.WriteEndObject();
            }
            else
            {
                var content = SimulatorResponder.ContentFor(request.Prompt);
                var promptTokens = SimulatorResponder.EstimateTokens(request.Prompt);
                var completionTokens = Math.Min(SimulatorResponder.EstimateTokens(content), request.MaxTokens ?? int.MaxValue);
                w.WriteString("id", SimulatorResponder.CompletionIdFor(request.Prompt));
                w.WriteString("object", "chat.completion");
                w.WriteNumber("created", batch.CreatedAt.ToUnixTimeSeconds());
                w.WriteString("model", request.Model ?? batch.Deployment);
                w.WriteStartArray("choices");
                w.WriteStartObject();
                w.WriteNumber("index", 0);
                w.WriteStartObject("message");
                w.WriteString("role", "assistant");
                w.WriteString("content", content);
                w.WriteEndObject();
                w.WriteString("finish_reason", "stop");
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteStartObject("usage");
                w.WriteNumber("prompt_tokens", promptTokens);
                w.WriteNumber("completion_tokens", completionTokens);
                w.WriteNumber("total_tokens", promptTokens + completionTokens);
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteNull("error");
            w.WriteEndObject();
        }

        to.WriteByte((byte)'\n');
    }

    private SimulatorBatch Add(SimulatorBatch batch)
    {
        lock (_lock)
        {
            _batches[batch.Id] = batch;
        }

        return batch;
    }

    private static (string? Deployment, List<(string CustomId, byte[] Body, long Tokens)> Lines, (string Code, string Message)? Error) Parse(byte[] content)
    {
        var lines = new List<(string, byte[], long)>();
        string? deployment = null;
        var number = 0;
        foreach (var raw in Encoding.UTF8.GetString(content).Split('\n'))
        {
            number++;
            if (string.IsNullOrWhiteSpace(raw))
            {
                continue;
            }

            try
            {
                using var doc = JsonDocument.Parse(raw);
                var root = doc.RootElement;
                var body = root.GetProperty("body");
                var model = body.TryGetProperty("model", out var m) ? m.GetString() : null;
                if (string.IsNullOrEmpty(model) || (deployment is not null && !string.Equals(model, deployment, StringComparison.OrdinalIgnoreCase)))
                {
                    return (deployment, lines, ("invalid_request", $"Line {number}: body.model must name the batch deployment, the same on every line."));
                }

                deployment = model;
                var prompt = ChatRequest.TryParse(body, out var request, out _) ? request!.Prompt : raw;
                var tokens = SimulatorResponder.EstimateTokens(prompt) + (request?.MaxTokens ?? 256);
                lines.Add((root.GetProperty("custom_id").GetString()!, Encoding.UTF8.GetBytes(body.GetRawText()), tokens));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                return (deployment, lines, ("invalid_json_line", $"Line {number} is not a valid batch input line: {e.Message}"));
            }
        }

        return lines.Count == 0 ? (deployment, lines, ("empty_file", "The input file has no lines.")) : (deployment, lines, null);
    }
}
