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

namespace Fanout.Bench.Deadline;

/// <summary>
/// Runs the deadline scenarios (<see cref="DeadlineScenario"/>) on the portable host in this process (memory backend,
/// Azurite blobs) through the HTTP API: the batch all live (no deadline), then with its deadline; checks that both
/// outputs hold the same lines in the same order with the same answers, and reports where the lines went and the cost.
/// </summary>
internal static class DeadlineBench
{
    private const string BatchDeployment = "gpt-4o-mini-batch";

    public static async Task<List<DeadlineRow>> RunAsync(DeadlineScenario scenario, string storageConnectionString, IReadOnlyList<string> hostOverrides, TextWriter log, CancellationToken cancellationToken)
    {
        // The standard member's token quota: the whole batch in LiveSeconds (what the simulator charges a line).
        var charge = Enumerable.Range(0, scenario.Count).Sum(i => (long)Prompts.QuotaCharge(i));
        var tpm = (long)(charge * 60 / scenario.LiveSeconds);
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            LatencyMs = 50,
            QuotaWindowSeconds = 1,
            Deployments = new Dictionary<string, SimulatorDeploymentOptions>(StringComparer.OrdinalIgnoreCase)
            {
                ["paygo"] = new() { Model = Prompts.Deployment, TokensPerMinute = tpm },
                [BatchDeployment] = new() { Kind = "batch", TurnaroundSeconds = scenario.TurnaroundSeconds },
            },
        }, 0, cancellationToken).ConfigureAwait(false);
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
            ["Fanout:OpenAI:Pool:0:Endpoint"] = simulator.BaseUri.ToString(),
            ["Fanout:OpenAI:Pool:0:Deployment"] = "paygo",
            ["Fanout:OpenAI:Pool:0:ApiKey"] = "sim",
            ["Fanout:OpenAI:Pool:0:Model"] = Prompts.Deployment,
            ["Fanout:OpenAI:Pool:0:TokensPerMinute"] = tpm.ToString(CultureInfo.InvariantCulture),
            ["Fanout:OpenAI:Pool:1:Endpoint"] = simulator.BaseUri.ToString(),
            ["Fanout:OpenAI:Pool:1:Deployment"] = BatchDeployment,
            ["Fanout:OpenAI:Pool:1:ApiKey"] = "sim",
            ["Fanout:OpenAI:Pool:1:Model"] = Prompts.Deployment,
            ["Fanout:OpenAI:Pool:1:Tier"] = "batch",
            ["Fanout:Cost:UpstreamPollSeconds"] = "5",
            ["Fanout:Pricing:gpt-4o-mini:InputPerMillion"] = "0.15",
            ["Fanout:Pricing:gpt-4o-mini:OutputPerMillion"] = "0.60",
            ["Fanout:Durable:Backend"] = "Memory",
        });
        builder.Configuration.AddCommandLine([.. hostOverrides]);
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Fanout.Core.Upstream", LogLevel.Information);
        builder.Logging.AddFilter("Fanout.Core.Orchestrations.UpstreamOrchestrator", LogLevel.Information);
        await builder.AddFanoutHostAsync(log, cancellationToken).ConfigureAwait(false);
        await using var app = builder.Build();
        app.MapBatchApi();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<DeadlineRow>();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(5) };
            var input = FanoutRunner.Jsonl(scenario.Count, Prompts.Text);
            var live = await RunBatchAsync(http, input, scenario, null, cancellationToken).ConfigureAwait(false);
            rows.Add(Row(scenario, "all-live", live, 0, "none", Check(live.Lines, null)));
            var cheap = await RunBatchAsync(http, input, scenario, scenario.DeadlineSeconds, cancellationToken).ConfigureAwait(false);
            var upstream = await UpstreamStatusesAsync(simulator, cancellationToken).ConfigureAwait(false);
            var late = cheap.Wall.TotalSeconds > scenario.DeadlineSeconds ? $"done {cheap.Wall.TotalSeconds - scenario.DeadlineSeconds:0} s after the deadline" : null;
            rows.Add(Row(scenario, "deadline", cheap, scenario.DeadlineSeconds, upstream, Check(cheap.Lines, live.Lines) ?? late));
        }
        finally
        {
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        foreach (var row in rows)
        {
            await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  {row.Scenario} / {row.Run}: N={row.N}, wall {row.WallSeconds:0.0} s, batch {row.BatchLines}, standard {row.StandardLines}, failed {row.Failed}, cost {row.Cost}, upstream {row.Upstream}{(row.Problem is null ? string.Empty : " — " + row.Problem)}")).ConfigureAwait(false);
        }

        return rows;
    }

    /// <summary>The rows as a Markdown table, each deadline run's cost against its all-live run's.</summary>
    public static string ToMarkdown(IReadOnlyList<DeadlineRow> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| scenario | run | N | wall s | deadline s | batch lines | standard lines | failed | cost (USD) | cost / all-live | upstream | check |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
        foreach (var row in rows)
        {
            var live = rows.FirstOrDefault(r => r.Scenario == row.Scenario && r.Run == "all-live");
            var ratio = live is { Cost: > 0 } ? (row.Cost / live.Cost).ToString("0.000", CultureInfo.InvariantCulture) : "";
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {row.Scenario} | {row.Run} | {row.N:N0} | {row.WallSeconds:0.0} | {(row.DeadlineSeconds > 0 ? row.DeadlineSeconds.ToString(CultureInfo.InvariantCulture) : "")} | {row.BatchLines:N0} ({100.0 * row.BatchLines / row.N:0.0} %) | {row.StandardLines:N0} | {row.Failed} | {row.Cost:0.000000} | {ratio} | {row.Upstream} | {row.Problem ?? "ok"} |"));
        }

        return sb.ToString();
    }

    private static DeadlineRow Row(DeadlineScenario scenario, string run, Run r, int deadline, string upstream, string? problem)
    {
        var tiers = r.Batch.GetProperty("lines_by_tier");
        var counts = r.Batch.GetProperty("request_counts");
        var cost = r.Batch.GetProperty("cost").GetProperty("total");
        return new DeadlineRow(
            scenario.Name, run, scenario.Count, r.Wall.TotalSeconds, deadline, tiers.GetProperty("batch").GetInt64(), tiers.GetProperty("standard").GetInt64(),
            counts.GetProperty("failed").GetInt64(), cost.ValueKind == JsonValueKind.Number ? cost.GetDecimal() : 0, upstream, problem);
    }

    /// <summary>Every line in order with its custom_id and its own prompt's answer; the same custom_ids and answers as <paramref name="live"/>.</summary>
    private static string? Check(List<JsonElement> lines, List<JsonElement>? live)
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

            var content = Content(line);
            if (content != SimulatorResponder.ContentFor(Prompts.Text(i)) || (live is not null && content != Content(live[i])))
            {
                return $"line {i} answers another prompt";
            }
        }

        return null;
    }

    private static string? Content(JsonElement line)
        => line.GetProperty("response").GetProperty("body").GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();

    private static async Task<string> UpstreamStatusesAsync(SimulatorServer simulator, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = simulator.BaseUri };
        using var doc = JsonDocument.Parse(await http.GetStringAsync("/v1/batches", cancellationToken).ConfigureAwait(false));
        var statuses = doc.RootElement.GetProperty("data").EnumerateArray().Select(b => b.GetProperty("status").GetString()).ToList();
        return statuses.Count == 0 ? "none" : string.Join(", ", statuses);
    }

    private sealed record Run(TimeSpan Wall, JsonElement Batch, List<JsonElement> Lines);

    private static async Task<Run> RunBatchAsync(HttpClient http, byte[] jsonl, DeadlineScenario scenario, int? deadlineSeconds, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        using var content = new ByteArrayContent(jsonl);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        var deadline = deadlineSeconds is { } d ? $"&deadline={d}s" : string.Empty;
        using var response = await http.PostAsync($"/api/batches?maxConcurrency={scenario.MaxConcurrency}&deployment={Prompts.Deployment}{deadline}", content, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Submit answered {(int)response.StatusCode}: {text}");
        }

        var id = JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
        JsonElement batch;
        while (true)
        {
            using var doc = JsonDocument.Parse(await http.GetStringAsync($"/api/batches/{id}", cancellationToken).ConfigureAwait(false));
            var status = doc.RootElement.GetProperty("status").GetString();
            if (status is "completed" or "failed" or "cancelled")
            {
                batch = doc.RootElement.Clone();
                break;
            }

            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }

        var wall = stopwatch.Elapsed;
        var body = await http.GetStringAsync($"/api/batches/{id}/results", cancellationToken).ConfigureAwait(false);
        var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        return new Run(wall, batch, lines);
    }
}
