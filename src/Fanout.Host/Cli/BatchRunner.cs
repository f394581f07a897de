using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Fanout.Core.Storage;

namespace Fanout.Host.Cli;

/// <summary>
/// The client half of <c>run</c>: submits a JSONL file through the public HTTP API, shows progress until the batch
/// finishes, saves the ordered results and prints the first lines.
/// </summary>
internal sealed class BatchRunner(HttpClient http, TextWriter output, TextWriter error)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>Runs <paramref name="file"/> as one batch; returns the exit code (0 done, 1 submit refused or batch failed).</summary>
    public async Task<int> RunAsync(string file, int? cap, string? deployment, string outDir, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        RunBatch batch;
        await using (var body = File.OpenRead(file))
        using (var content = new StreamContent(body))
        {
            content.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
            using var submit = await http.PostAsync(SubmitQuery(cap, deployment), content, cancellationToken).ConfigureAwait(false);
            if (!submit.IsSuccessStatusCode)
            {
                var text = await submit.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                await error.WriteLineAsync($"Submit failed: {(int)submit.StatusCode} {text}").ConfigureAwait(false);
                return 1;
            }

            batch = await ReadBatchAsync(submit.Content, cancellationToken).ConfigureAwait(false);
        }

        var id = batch.Id;
        await output.WriteLineAsync($"Submitted {Path.GetFileName(file)} as batch {id} (maxConcurrency {batch.MaxConcurrency})").ConfigureAwait(false);
        while (true)
        {
            using (var response = await http.GetAsync($"/api/batches/{id}", cancellationToken).ConfigureAwait(false))
            {
                response.EnsureSuccessStatusCode();
                batch = await ReadBatchAsync(response.Content, cancellationToken).ConfigureAwait(false);
            }

            ProgressLine.Write(output, batch, stopwatch.Elapsed);
            if (batch.IsFinal)
            {
                break;
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }

        await output.WriteLineAsync().ConfigureAwait(false);
        var wall = stopwatch.Elapsed;
        if (batch.Status == "failed")
        {
            await error.WriteLineAsync($"Batch failed: {batch.Error}").ConfigureAwait(false);
            return 1;
        }

        Directory.CreateDirectory(Path.Combine(outDir, id));
        var localOutput = Path.Combine(outDir, id, BatchBlobLayout.OutputFile);
        await using (var results = await http.GetStreamAsync($"/api/batches/{id}/results", cancellationToken).ConfigureAwait(false))
        await using (var local = File.Create(localOutput))
        {
            await results.CopyToAsync(local, cancellationToken).ConfigureAwait(false);
        }

        await output.WriteLineAsync($"Done in {wall.TotalSeconds:F1} s: {batch.RequestCounts}, tokens {batch.Usage?.TotalTokens}").ConfigureAwait(false);
        await output.WriteLineAsync($"Ordered results: blob {batch.OutputBlob} (errors: {batch.ErrorBlob})").ConfigureAwait(false);
        await output.WriteLineAsync($"Local copy:      {localOutput}").ConfigureAwait(false);
        await output.WriteLineAsync("First lines:").ConfigureAwait(false);
        foreach (var line in File.ReadLines(localOutput).Take(3))
        {
            await output.WriteLineAsync("  " + Summarise(line)).ConfigureAwait(false);
        }

        return 0;
    }

    private static string SubmitQuery(int? cap, string? deployment)
    {
        var query = new List<string>();
        if (cap is { } c)
        {
            query.Add(FormattableString.Invariant($"maxConcurrency={c}"));
        }

        if (deployment is not null)
        {
            query.Add($"deployment={Uri.EscapeDataString(deployment)}");
        }

        return "/api/batches" + (query.Count == 0 ? string.Empty : "?" + string.Join('&', query));
    }

    private static async Task<RunBatch> ReadBatchAsync(HttpContent content, CancellationToken cancellationToken) =>
        await content.ReadFromJsonAsync<RunBatch>(cancellationToken).ConfigureAwait(false)
        ?? throw new JsonException("The service answered an empty batch object.");

    /// <summary>One output line in a few words: its custom_id and the start of the answer, or its error.</summary>
    internal static string Summarise(string line)
    {
        var result = JsonSerializer.Deserialize<RunResultLine>(line) ?? throw new JsonException("An output line is null.");
        if (result.Error is { } lineError)
        {
            return $"{result.CustomId}: error {lineError}";
        }

        var text = (result.Response?.Body?.Choices is [{ Message.Content: { } content }, ..] ? content : string.Empty).ReplaceLineEndings(" ");
        return $"{result.CustomId}: {(text.Length > 100 ? text[..100] + "…" : text)}";
    }
}
