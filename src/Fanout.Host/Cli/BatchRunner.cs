using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fanout.Client;
using Fanout.Client.Models;
using Fanout.Core.Models;
using Fanout.Core.Storage;

namespace Fanout.Host.Cli;

/// <summary>
/// The client half of <c>run</c>: submits a JSONL file through the public HTTP API (<see cref="FanoutClient"/>), shows
/// progress until the batch finishes, saves the ordered results and prints the first lines.
/// </summary>
internal sealed class BatchRunner(FanoutClient client, TextWriter output, TextWriter error)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>Runs <paramref name="file"/> as one batch; returns the exit code (0 done, 1 submit refused or batch failed).</summary>
    public async Task<int> RunAsync(string file, int? cap, string? deployment, string outDir, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        FanoutBatch batch;
        try
        {
            await using var body = File.OpenRead(file);
            batch = await client.SubmitJsonlAsync(body, new BatchSubmitOptions { MaxConcurrency = cap, Deployment = deployment }, cancellationToken).ConfigureAwait(false);
        }
        catch (FanoutApiException e)
        {
            await error.WriteLineAsync($"Submit failed: {(int)e.Status} {e.Body}").ConfigureAwait(false);
            return 1;
        }

        var id = batch.Id;
        await output.WriteLineAsync($"Submitted {Path.GetFileName(file)} as batch {id} (maxConcurrency {batch.MaxConcurrency})").ConfigureAwait(false);
        await foreach (var update in client.WatchAsync(id, error.WriteLine, PollInterval, cancellationToken).ConfigureAwait(false))
        {
            batch = update;
            ProgressLine.Write(output, batch, stopwatch.Elapsed);
        }

        await output.WriteLineAsync().ConfigureAwait(false);
        var wall = stopwatch.Elapsed;
        if (batch.Status == BatchStatus.Failed)
        {
            await error.WriteLineAsync($"Batch failed: {batch.Error}").ConfigureAwait(false);
            return 1;
        }

        Directory.CreateDirectory(Path.Combine(outDir, id));
        var localOutput = Path.Combine(outDir, id, BatchBlobLayout.OutputFile);
        await using (var local = File.Create(localOutput))
        {
            await client.CopyResultsAsync(id, local, partial: false, cancellationToken).ConfigureAwait(false);
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

    /// <summary>One output line in a few words: its custom_id and the start of the answer, or its error.</summary>
    internal static string Summarise(string line)
    {
        var result = JsonNode.Parse(line) ?? throw new JsonException("An output line is null.");
        var customId = result["custom_id"]?.GetValue<string>();
        if (result["error"] is JsonObject lineError)
        {
            return $"{customId}: error {lineError.Deserialize<FanoutError>()}";
        }

        var text = (result["response"]?["body"]?["choices"] is JsonArray { Count: > 0 } choices && choices[0]?["message"]?["content"] is JsonValue content
            ? content.GetValue<string>()
            : string.Empty).ReplaceLineEndings(" ");
        return $"{customId}: {(text.Length > 100 ? text[..100] + "…" : text)}";
    }
}
