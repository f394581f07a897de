using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Fanout.Bench.Runners;
using Fanout.Bench.Scenarios;
using Fanout.Host.Apis;
using Fanout.Host.Extensions;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Fanout.Bench.Cache;

/// <summary>One measured batch of a cache scenario.</summary>
/// <param name="Scenario">The scenario.</param>
/// <param name="Run">Which batch: <c>first</c>, <c>rerun</c>, <c>no-cache</c>, <c>dupes</c>.</param>
/// <param name="N">Lines.</param>
/// <param name="Calls">Model calls the simulator received.</param>
/// <param name="WallSeconds">Submit to completed.</param>
/// <param name="Cached">Lines marked <c>"cached": true</c>.</param>
/// <param name="Problem">What the output check found wrong; null when it is right.</param>
internal sealed record CacheRow(string Scenario, string Run, int N, long Calls, double WallSeconds, int Cached, string? Problem);

/// <summary>
/// Runs the cache scenarios (<see cref="CacheScenario"/>) on the portable host in this process (memory backend, Azurite
/// blobs), through the HTTP API with <c>cache=true</c>, and checks the outputs.
/// </summary>
internal static class CacheBench
{
    public static async Task<List<CacheRow>> RunAsync(CacheScenario scenario, string storageConnectionString, IReadOnlyList<string> hostOverrides, TextWriter log, CancellationToken cancellationToken)
    {
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = scenario.LatencyMs }, 0, cancellationToken).ConfigureAwait(false);
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Fanout:Host:Urls"] = "http://127.0.0.1:0",
            ["Fanout:Host:WatchBlobs"] = "false",
            ["Fanout:Storage:ConnectionString"] = storageConnectionString,
            ["Fanout:Storage:InputContainer"] = $"bench-{suffix}-in",
            ["Fanout:Storage:OutputContainer"] = $"bench-{suffix}-out",
            ["Fanout:Storage:WorkContainer"] = $"bench-{suffix}-work",
            ["Fanout:Cache:Container"] = $"bench-{suffix}-cache",
            ["Fanout:OpenAI:Endpoint"] = simulator.BaseUri.ToString(),
            ["Fanout:OpenAI:ApiKey"] = "sim",
            ["Fanout:Durable:Backend"] = "Memory",
        });
        builder.Configuration.AddCommandLine([.. hostOverrides]);
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        await builder.AddFanoutHostAsync(log, cancellationToken).ConfigureAwait(false);
        await using var app = builder.Build();
        app.MapBatchApi();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<CacheRow>();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(5) };
            await RunBatchAsync(http, simulator, FanoutRunner.Jsonl(50, Prompts.WarmUpText), 50, cache: false, cancellationToken).ConfigureAwait(false);
            if (scenario.Distinct > 0)
            {
                var input = FanoutRunner.Jsonl(scenario.Count, scenario.First);
                var plain = await RunBatchAsync(http, simulator, input, scenario.MaxConcurrency, cache: false, cancellationToken).ConfigureAwait(false);
                rows.Add(Row(scenario, "no-cache", plain, Check(plain.Lines, scenario.First, null)));
                var dupes = await RunBatchAsync(http, simulator, input, scenario.MaxConcurrency, cache: true, cancellationToken).ConfigureAwait(false);
                var problem = Check(dupes.Lines, scenario.First, null)
                    ?? (dupes.Calls != scenario.Distinct ? $"{dupes.Calls} calls for {scenario.Distinct} distinct requests" : null);
                rows.Add(Row(scenario, "dupes", dupes, problem));
            }
            else
            {
                var first = await RunBatchAsync(http, simulator, FanoutRunner.Jsonl(scenario.Count, scenario.First), scenario.MaxConcurrency, cache: true, cancellationToken).ConfigureAwait(false);
                rows.Add(Row(scenario, "first", first, Check(first.Lines, scenario.First, null)));
                var changed = FanoutRunner.Jsonl(scenario.Count, CacheScenario.Rerun);
                var rerun = await RunBatchAsync(http, simulator, changed, scenario.MaxConcurrency, cache: true, cancellationToken).ConfigureAwait(false);
                var plain = await RunBatchAsync(http, simulator, changed, scenario.MaxConcurrency, cache: false, cancellationToken).ConfigureAwait(false);
                rows.Add(Row(scenario, "rerun", rerun, Check(rerun.Lines, CacheScenario.Rerun, first.Lines) ?? SameOrder(rerun.Lines, plain.Lines)));
                rows.Add(Row(scenario, "no-cache", plain, Check(plain.Lines, CacheScenario.Rerun, null)));
            }
        }
        finally
        {
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        foreach (var row in rows)
        {
            await log.WriteLineAsync($"  {row.Scenario} / {row.Run}: N={row.N}, calls {row.Calls}, wall {row.WallSeconds:0.00} s, cached {row.Cached}{(row.Problem is null ? string.Empty : " — " + row.Problem)}").ConfigureAwait(false);
        }

        return rows;
    }

    /// <summary>The rows as a Markdown table with the ratios of each scenario's runs.</summary>
    public static string ToMarkdown(IReadOnlyList<CacheRow> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| scenario | run | N | calls | wall s | cached lines | calls / first | wall / first | check |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---|");
        foreach (var row in rows)
        {
            var basis = rows.FirstOrDefault(r => r.Scenario == row.Scenario && r.Run is "first") ?? rows.FirstOrDefault(r => r.Scenario == row.Scenario && r.Run is "no-cache");
            var c = CultureInfo.InvariantCulture;
            sb.AppendLine(string.Create(c,
                $"| {row.Scenario} | {row.Run} | {row.N:N0} | {row.Calls:N0} | {row.WallSeconds:0.00} | {row.Cached:N0} | {(basis is null ? "" : $"{100.0 * row.Calls / basis.Calls:0.0} %")} | {(basis is null ? "" : $"{100.0 * row.WallSeconds / basis.WallSeconds:0.0} %")} | {row.Problem ?? "ok"} |"));
        }

        return sb.ToString();
    }

    private static CacheRow Row(CacheScenario scenario, string run, Run r, string? problem)
        => new(scenario.Name, run, scenario.Count, r.Calls, r.Wall.TotalSeconds, r.Lines.Count(l => l.TryGetProperty("cached", out var c) && c.ValueKind == JsonValueKind.True), problem);

    /// <summary>Every line in order with its custom_id, answering its own prompt; a cached line's response equals <paramref name="first"/>'s.</summary>
    private static string? Check(List<JsonElement> lines, Func<int, string> prompt, List<JsonElement>? first)
    {
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (line.GetProperty("custom_id").GetString() != $"p-{i}")
            {
                return $"line {i} is {line.GetProperty("custom_id")}";
            }

            if (line.GetProperty("error").ValueKind != JsonValueKind.Null)
            {
                return $"line {i} failed: {line.GetProperty("error")}";
            }

            var content = line.GetProperty("response").GetProperty("body").GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
            if (content != SimulatorResponder.ContentFor(prompt(i)))
            {
                return $"line {i} answers another prompt";
            }

            if (first is not null && line.TryGetProperty("cached", out var c) && c.ValueKind == JsonValueKind.True
                && line.GetProperty("response").GetRawText() != first[i].GetProperty("response").GetRawText())
            {
                return $"cached line {i} differs from the first run's answer";
            }
        }

        return null;
    }

    private static string? SameOrder(List<JsonElement> cached, List<JsonElement> plain)
        => cached.Count != plain.Count ? $"{cached.Count} lines, the cache-less run {plain.Count}"
            : cached.Select(l => l.GetProperty("custom_id").GetString()).SequenceEqual(plain.Select(l => l.GetProperty("custom_id").GetString())) ? null
            : "custom_ids differ from the cache-less run's";

    private sealed record Run(long Calls, TimeSpan Wall, List<JsonElement> Lines);

    private static async Task<Run> RunBatchAsync(HttpClient http, SimulatorServer simulator, byte[] jsonl, int cap, bool cache, CancellationToken cancellationToken)
    {
        simulator.ResetStats();
        var stopwatch = Stopwatch.StartNew();
        using var content = new ByteArrayContent(jsonl);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        using var response = await http.PostAsync($"/api/batches?maxConcurrency={cap}&deployment={Prompts.Deployment}&cache={(cache ? "true" : "false")}", content, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Submit answered {(int)response.StatusCode}: {text}");
        }

        var id = JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
        while (true)
        {
            using var doc = JsonDocument.Parse(await http.GetStringAsync($"/api/batches/{id}", cancellationToken).ConfigureAwait(false));
            var status = doc.RootElement.GetProperty("status").GetString();
            if (status is "completed" or "failed" or "cancelled")
            {
                break;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        var wall = stopwatch.Elapsed;
        var calls = simulator.Stats.Requests;
        var body = await http.GetStringAsync($"/api/batches/{id}/results", cancellationToken).ConfigureAwait(false);
        var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        return new Run(calls, wall, lines);
    }
}
