using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Fanout.Bench.Measuring;
using Fanout.Bench.Reporting;
using Fanout.Bench.Scenarios;
using Fanout.Durable;
using Fanout.Host.Apis;
using Fanout.Host.Extensions;
using Fanout.Simulator;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Fanout.Bench.Runners;

/// <summary>
/// Fanout through its public HTTP API: the portable host started in this process (as <c>run</c> does) on a loopback
/// port, with a fresh task hub and fresh containers on the shared Azurite, calling the scenario's simulator.
/// Wall time runs from the <c>POST /api/batches</c> to the first <c>GET</c> that reports <c>completed</c>, i.e. once
/// the ordered output has been committed; the output is then downloaded and checked line by line.
/// </summary>
internal static class FanoutRunner
{
    private static readonly TimeSpan MinPoll = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxPoll = TimeSpan.FromMilliseconds(500);

    public static async Task<BenchRow> RunAsync(
        Scenario scenario,
        SimulatorServer simulator,
        DurableBackendKind backend,
        string storageConnectionString,
        int? azuritePid,
        IReadOnlyList<string> hostOverrides,
        int warmUp,
        RunProbes probes,
        TextWriter log,
        CancellationToken cancellationToken,
        Action? onSubmit = null)
    {
        var row = BenchRow.For(scenario, backend == DurableBackendKind.Memory ? RunnerNames.FanoutMemory : RunnerNames.FanoutAzureStorage);
        row.LoadAverageAtStart = SystemCpu.LoadAverage();

        var suffix = Guid.NewGuid().ToString("N")[..10];
        var taskHub = "Bench" + suffix;
        var containerPrefix = "bench-" + suffix;
        var startup = Stopwatch.StartNew();
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Fanout:Host:Urls"] = "http://127.0.0.1:0",
            ["Fanout:Host:WatchBlobs"] = "false",
            ["Fanout:Storage:ConnectionString"] = storageConnectionString,
            ["Fanout:Storage:InputContainer"] = containerPrefix + "-in",
            ["Fanout:Storage:OutputContainer"] = containerPrefix + "-out",
            ["Fanout:Storage:WorkContainer"] = containerPrefix + "-work",
            ["Fanout:OpenAI:Endpoint"] = simulator.BaseUri.ToString(),
            ["Fanout:OpenAI:ApiKey"] = "sim",
            ["Fanout:Durable:Backend"] = backend.ToString(),
            ["Fanout:Durable:TaskHubName"] = taskHub,
            ["Fanout:Host:MaxEventStreams"] = Math.Max(200, scenario.Watchers).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        if (scenario.CallTimeoutSeconds > 0)
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Fanout:OpenAI:TimeoutSeconds"] = scenario.CallTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
        }


        // Last, so that they win: --Fanout:...=value from the bench's command line.
        builder.Configuration.AddCommandLine([.. hostOverrides]);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        await builder.AddFanoutHostAsync(log, cancellationToken).ConfigureAwait(false);

        await using var app = builder.Build();
        app.MapBatchApi();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(5) };

            // Warm-up (not measured): JIT, connections, partition leases, containers; without latency or quota.
            using var quiet = SimulatorQuiet.Begin(simulator);
            try
            {
                if (warmUp > 0)
                {
                    var warmUpId = await SubmitAsync(http, Jsonl(warmUp, Prompts.WarmUpText), Math.Min(warmUp, scenario.MaxConcurrency), cancellationToken).ConfigureAwait(false);
                    var (status, _, _, _) = await WaitAsync(http, warmUpId, TimeSpan.FromMinutes(5), cancellationToken).ConfigureAwait(false);
                    if (status != "completed")
                    {
                        row.Problem = $"warm-up batch ended {status ?? "in a timeout"}";
                        return row;
                    }
                }
            }
            finally
            {
                quiet.Dispose();
            }

            row.StartupSeconds = startup.Elapsed.TotalSeconds;
            var body = Jsonl(scenario.Count, Prompts.Text);
            simulator.ResetStats();
            await using var sampler = ResourceSampler.Start(azuritePid);
            probes.Start();
            onSubmit?.Invoke();
            var stopwatch = Stopwatch.StartNew();
            var id = await SubmitAsync(http, body, scenario.MaxConcurrency, cancellationToken).ConfigureAwait(false);
            var submitted = stopwatch.Elapsed;
            await using var watchers = EventWatchers.Open(address, id, scenario.Watchers);
            var (final, done, firstDone, allDone) = await WaitAsync(http, id, scenario.Timeout, cancellationToken).ConfigureAwait(false);
            row.WallSeconds = stopwatch.Elapsed.TotalSeconds;
            if (scenario.Watchers > 0)
            {
                await log.WriteLineAsync($"         {scenario.Watchers} event streams open on the batch received {watchers.Events} progress events").ConfigureAwait(false);
            }

            row.SubmitSeconds = submitted.TotalSeconds;
            row.FirstResultSeconds = submitted.TotalSeconds + firstDone?.TotalSeconds;
            row.AllDoneSeconds = submitted.TotalSeconds + allDone?.TotalSeconds;
            probes.StopInto(row);
            row.BatchId = id;
            row.Status = final;
            RowStats.Fill(row, simulator, await sampler.StopAsync().ConfigureAwait(false));

            if (final != "completed")
            {
                row.Problem = final is null ? $"timeout ({done}/{scenario.Count} done)" : $"batch {final}";
                return row;
            }

            await VerifyAsync(http, id, row, cancellationToken).ConfigureAwait(false);
            return row;
        }
        finally
        {
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await DeleteTaskHubAsync(storageConnectionString, taskHub, containerPrefix, log).ConfigureAwait(false);
        }
    }

    /// <summary>JSONL in the OpenAI Batch input format; custom_id "p-{i}", no model (the batch's deployment applies).</summary>
    internal static byte[] Jsonl(int count, Func<int, string> prompt)
    {
        var sb = new StringBuilder(count * 160);
        for (var i = 0; i < count; i++)
        {
            var line = new
            {
                custom_id = $"p-{i}",
                method = "POST",
                url = "/v1/chat/completions",
                body = new { messages = new[] { new { role = "user", content = prompt(i) } }, max_tokens = Prompts.MaxTokens },
            };
            sb.Append(JsonSerializer.Serialize(line)).Append('\n');
        }

        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static async Task<string> SubmitAsync(HttpClient http, byte[] jsonl, int maxConcurrency, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(jsonl);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        using var response = await http.PostAsync(
            $"/api/batches?maxConcurrency={maxConcurrency}&deployment={Prompts.Deployment}", content, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Submit answered {(int)response.StatusCode}: {text}");
        }

        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>
    /// Polls the batch until it is completed, failed or cancelled (null status on timeout). The interval adapts: a quarter
    /// of the estimated time left, between 50 and 500 ms, so the polling itself loads the host little but the end is seen
    /// within about 50 ms. Also returns when the counts first showed a finished line and all lines finished.
    /// </summary>
    private static async Task<(string? Status, int Done, TimeSpan? FirstDone, TimeSpan? AllDone)> WaitAsync(
        HttpClient http, string id, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var done = 0;
        TimeSpan? firstDone = null;
        TimeSpan? allDone = null;
        while (stopwatch.Elapsed < timeout)
        {
            using var doc = JsonDocument.Parse(await http.GetStringAsync($"/api/batches/{id}", cancellationToken).ConfigureAwait(false));
            var status = doc.RootElement.GetProperty("status").GetString();
            var counts = doc.RootElement.GetProperty("request_counts");
            var total = counts.GetProperty("total").GetInt32();
            done = counts.GetProperty("completed").GetInt32() + counts.GetProperty("failed").GetInt32();
            if (done > 0)
            {
                firstDone ??= stopwatch.Elapsed;
            }

            if (done >= total && total > 0)
            {
                allDone ??= stopwatch.Elapsed;
            }

            if (status is "completed" or "failed" or "cancelled")
            {
                return (status, done, firstDone, allDone);
            }

            var wait = done == 0
                ? TimeSpan.FromMilliseconds(100)
                : stopwatch.Elapsed * ((double)Math.Max(0, total - done) / done) / 4;
            await Task.Delay(wait < MinPoll ? MinPoll : wait > MaxPoll ? MaxPoll : wait, cancellationToken).ConfigureAwait(false);
        }

        return (null, done, firstDone, allDone);
    }

    /// <summary>Downloads the results: N lines, custom_id p-0 … p-(N-1) in order, each the simulator's answer to its own prompt or an error.</summary>
    private static async Task VerifyAsync(HttpClient http, string id, BenchRow row, CancellationToken cancellationToken)
    {
        await using var stream = await http.GetStreamAsync($"/api/batches/{id}/results", cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var index = 0;
        var problems = new List<string>();
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var customId = root.GetProperty("custom_id").GetString();
            if (customId != $"p-{index}")
            {
                problems.Add($"line {index} is {customId}");
            }
            else if (root.GetProperty("error").ValueKind != JsonValueKind.Null)
            {
                row.Failed++;
                row.FirstError ??= $"line {index}: {root.GetProperty("error").GetRawText()}";
            }
            else
            {
                var content = root.GetProperty("response").GetProperty("body").GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
                if (content == SimulatorResponder.ContentFor(Prompts.Text(index)))
                {
                    row.Succeeded++;
                }
                else
                {
                    problems.Add($"line {index} answers another prompt");
                }
            }

            index++;
        }

        if (index != row.N)
        {
            problems.Add($"{index} lines instead of {row.N}");
        }

        row.Verified = problems.Count == 0;
        if (problems.Count > 0)
        {
            row.Problem = $"output check: {string.Join(", ", problems.Take(3))}{(problems.Count > 3 ? $" (+{problems.Count - 3})" : string.Empty)}";
        }
    }

    /// <summary>Deletes the run's task hub (queues, tables, lease containers) and its batch containers, so that later runs find Azurite as lean as the first.</summary>
    private static async Task DeleteTaskHubAsync(string connectionString, string taskHub, string containerPrefix, TextWriter log)
    {
        try
        {
            var lower = taskHub.ToLowerInvariant();
            var queues = new QueueServiceClient(connectionString);
            await foreach (var queue in queues.GetQueuesAsync(prefix: lower).ConfigureAwait(false))
            {
                await queues.DeleteQueueAsync(queue.Name).ConfigureAwait(false);
            }

            var tables = new TableServiceClient(connectionString);
            await foreach (var table in tables.QueryAsync().ConfigureAwait(false))
            {
                if (table.Name.StartsWith(taskHub, StringComparison.OrdinalIgnoreCase))
                {
                    await tables.DeleteTableAsync(table.Name).ConfigureAwait(false);
                }
            }

            var blobs = new BlobServiceClient(connectionString);
            foreach (var prefix in new[] { lower, containerPrefix })
            {
                await foreach (var container in blobs.GetBlobContainersAsync(prefix: prefix).ConfigureAwait(false))
                {
                    await blobs.DeleteBlobContainerAsync(container.Name).ConfigureAwait(false);
                }
            }
        }
        catch (Azure.RequestFailedException e)
        {
            await log.WriteLineAsync($"  (could not delete task hub {taskHub}: {e.Message})").ConfigureAwait(false);
        }
    }
}
