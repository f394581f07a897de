using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Fanout.Host.Apis;
using Fanout.Host.Azurite;
using Fanout.Host.Extensions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Fanout.Host.Cli;

/// <summary>
/// <c>run [FILE] [--max-concurrency N] [--deployment NAME] [--out DIR]</c>: starts the host on embedded defaults,
/// submits a JSONL batch through the public HTTP API, shows progress, saves the ordered results and prints the first lines.
/// </summary>
public static class RunCommand
{
    /// <summary>Runs the command; returns the process exit code.</summary>
    public static async Task<int> ExecuteAsync(string[] args)
    {
        string? file = null;
        var cap = 16;
        string? deployment = null;
        string? outDir = null;
        var hostArgs = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--max-concurrency" when i + 1 < args.Length:
                    cap = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "--deployment" when i + 1 < args.Length:
                    deployment = args[++i];
                    break;
                case "--out" when i + 1 < args.Length:
                    outDir = args[++i];
                    break;
                case var a when a.StartsWith("--", StringComparison.Ordinal):
                    hostArgs.Add(a);
                    if (!a.Contains('=', StringComparison.Ordinal) && i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    {
                        hostArgs.Add(args[++i]);
                    }

                    break;
                default:
                    file = args[i];
                    break;
            }
        }

        var repoRoot = AzuriteProcess.FindRepoRoot(Directory.GetCurrentDirectory()) ?? Directory.GetCurrentDirectory();
        file ??= Path.Combine(repoRoot, "samples", "sample.jsonl");
        if (!File.Exists(file))
        {
            await Console.Error.WriteLineAsync($"Input file not found: {file}");
            return 2;
        }

        var builder = WebApplication.CreateBuilder([.. hostArgs]);
        if (string.IsNullOrEmpty(builder.Configuration["Fanout:Host:Urls"]))
        {
            builder.Configuration["Fanout:Host:Urls"] = "http://127.0.0.1:0";
        }

        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        await using var embedded = await builder.AddFanoutHostAsync(Console.Out, CancellationToken.None);
        await using var app = builder.Build();
        app.MapBatchApi();
        await app.StartAsync();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            await Console.Out.WriteLineAsync($"Fanout host listening on {address}");
            using var http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(10) };
            if (builder.Configuration[Security.AccessKeys.SettingName] is { Length: > 0 } key)
            {
                http.DefaultRequestHeaders.Add(Security.AccessKeys.ApiKeyHeader, key);
            }

            return await SubmitAndWatchAsync(http, file, cap, deployment, outDir ?? Path.Combine(repoRoot, ".fanout", "results"));
        }
        finally
        {
            await app.StopAsync();
        }
    }

    /// <summary>True for exceptions that mean the configuration is wrong (reported as one line, exit code 2).</summary>
    public static bool IsConfigurationError(Exception e) => e
        is Microsoft.Extensions.Options.OptionsValidationException
        or System.ComponentModel.DataAnnotations.ValidationException
        or FormatException
        || (e is InvalidOperationException && e.Message.Contains("configuration value", StringComparison.OrdinalIgnoreCase));

    private static async Task<int> SubmitAndWatchAsync(HttpClient http, string file, int cap, string? deployment, string outDir)
    {
        var stopwatch = Stopwatch.StartNew();
        await using var body = File.OpenRead(file);
        using var content = new StreamContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        var query = $"/api/batches?maxConcurrency={cap}" + (deployment is null ? string.Empty : $"&deployment={Uri.EscapeDataString(deployment)}");
        using var submit = await http.PostAsync(query, content);
        var submitted = await submit.Content.ReadAsStringAsync();
        if (!submit.IsSuccessStatusCode)
        {
            await Console.Error.WriteLineAsync($"Submit failed: {(int)submit.StatusCode} {submitted}");
            return 1;
        }

        var id = JsonDocument.Parse(submitted).RootElement.GetProperty("id").GetString()!;
        await Console.Out.WriteLineAsync($"Submitted {Path.GetFileName(file)} as batch {id} (maxConcurrency {cap})");

        JsonElement batch;
        while (true)
        {
            batch = JsonDocument.Parse(await http.GetStringAsync($"/api/batches/{id}")).RootElement;
            var status = batch.GetProperty("status").GetString();
            var counts = batch.GetProperty("request_counts");
            var total = counts.GetProperty("total").GetInt32();
            var done = counts.GetProperty("completed").GetInt32() + counts.GetProperty("failed").GetInt32();
            WriteProgress(status!, done, total, counts.GetProperty("failed").GetInt32(), stopwatch.Elapsed);
            if (status is "completed" or "failed" or "cancelled")
            {
                break;
            }

            await Task.Delay(500);
        }

        Console.WriteLine();
        var wall = stopwatch.Elapsed;
        if (batch.GetProperty("status").GetString() == "failed")
        {
            await Console.Error.WriteLineAsync($"Batch failed: {batch.GetProperty("error")}");
            return 1;
        }

        Directory.CreateDirectory(Path.Combine(outDir, id));
        var localOutput = Path.Combine(outDir, id, "output.jsonl");
        await using (var results = await http.GetStreamAsync($"/api/batches/{id}/results"))
        await using (var local = File.Create(localOutput))
        {
            await results.CopyToAsync(local);
        }

        var usage = batch.GetProperty("usage");
        await Console.Out.WriteLineAsync($"Done in {wall.TotalSeconds:F1} s: {batch.GetProperty("request_counts")}, tokens {usage.GetProperty("total_tokens")}");
        await Console.Out.WriteLineAsync($"Ordered results: blob {batch.GetProperty("output_blob").GetString()} (errors: {batch.GetProperty("error_blob").GetString()})");
        await Console.Out.WriteLineAsync($"Local copy:      {localOutput}");
        await Console.Out.WriteLineAsync("First lines:");
        foreach (var line in File.ReadLines(localOutput).Take(3))
        {
            await Console.Out.WriteLineAsync("  " + Summarise(line));
        }

        return 0;
    }

    private static void WriteProgress(string status, int done, int total, int failed, TimeSpan elapsed)
    {
        const int Width = 30;
        var filled = total == 0 ? 0 : done * Width / total;
        var bar = new string('#', filled) + new string('.', Width - filled);
        var text = $"[{bar}] {done}/{total} {status}, {failed} failed, {elapsed.TotalSeconds:F1} s";
        if (Console.IsOutputRedirected)
        {
            Console.WriteLine(text);
        }
        else
        {
            Console.Write("\r" + text.PadRight(Console.WindowWidth > 0 ? Math.Min(Console.WindowWidth - 1, 100) : 80));
        }
    }

    private static string Summarise(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        var id = root.GetProperty("custom_id").ToString();
        if (root.GetProperty("error").ValueKind != JsonValueKind.Null)
        {
            return $"{id}: error {root.GetProperty("error")}";
        }

        var text = root.GetProperty("response").GetProperty("body").GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString() ?? string.Empty;
        text = text.ReplaceLineEndings(" ");
        return $"{id}: {(text.Length > 100 ? text[..100] + "…" : text)}";
    }
}
