using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs;
using Fanout.Core.Api;
using Fanout.Core.Cache;
using Fanout.Core.Models;
using Fanout.Core.Orchestrations;
using Fanout.Core.Service;
using Fanout.Durable;
using Fanout.IntegrationTests.Infrastructure;
using Fanout.Simulator.Options;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.Cache;

/// <summary>
/// Issue 25 on Azurite: the real orchestrator and activities (memory durable backend), blobs and the cache container
/// on Azurite, the simulator through the real Azure OpenAI client. A rerun hits, a changed parameter misses, an expired
/// or corrupt entry is a miss, copies inside a batch are called once, a failed copy is never copied, the budget ignores
/// cached lines, and <c>cache=false</c> never touches the store.
/// </summary>
public sealed class ResponseCacheTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    private readonly string _container = AzuriteFixture.UniqueContainerName("cache");

    private BlobContainerClient CacheContainer => new(azurite.ConnectionString, _container);

    [Fact]
    public async Task A_rerun_is_answered_from_the_cache_with_no_call_and_the_first_runs_answers()
    {
        await using var simulator = await CacheRun.SimulatorAsync();
        await using var app = await StartAsync(simulator, new Dictionary<string, string?>
        {
            ["Fanout:Pricing:gpt-4o-mini:InputPerMillion"] = "0.15",
            ["Fanout:Pricing:gpt-4o-mini:OutputPerMillion"] = "0.60",
        });
        var lines = Enumerable.Range(0, 12).Select(i => CacheRun.Line($"first-{i}", $"rerun prompt {i}", temperature: 0.5)).ToList();

        var first = await CacheRun.SubmitAsync(app, CacheRun.Jsonl(lines), ("cache", "true"));
        var calls = simulator.Stats.Requests;

        // The same requests spelled another way (members reordered, a number and a letter respelled, the other url spelling), other custom_ids.
        var respelled = Enumerable.Range(0, 12).Select(i =>
            $$"""{"url":"/chat/completions","body":{"temperature":5e-1,"max_tokens":16,"messages":[{"content":"rerun prompt {{i}}","role":"\u0075ser"}]},"method":"POST","custom_id":"second-{{i}}"}""").ToList();
        var estimate = await EstimateAsync(app, CacheRun.Jsonl(respelled), cache: true);
        var estimateWithout = await EstimateAsync(app, CacheRun.Jsonl(respelled), cache: false);
        var second = await CacheRun.SubmitAsync(app, CacheRun.Jsonl(respelled), ("cache", "true"));
        output.WriteLine($"first run: {calls} calls; second run: {simulator.Stats.Requests - calls} calls, {second.Cached.Count()} cached lines; estimate {estimate.CachedLines} cached, cost {estimate.EstimatedCost} (without the cache {estimateWithout.EstimatedCost})");

        Assert.Equal(12, calls);
        Assert.Empty(first.Cached);
        Assert.Equal(0, first.Batch.RequestCounts.Cached);
        Assert.Equal(12, estimate.CachedLines);
        Assert.Equal(0, estimate.PromptTokens);
        Assert.Equal(0m, estimate.EstimatedCost!.High);
        Assert.Equal(0, estimateWithout.CachedLines);
        Assert.True(estimateWithout.EstimatedCost!.Low > 0);
        Assert.Equal(12, simulator.Stats.Requests);
        Assert.Equal(12, second.Cached.Count());
        Assert.Equal(new RequestCounts(12, 12, 0, 12), second.Batch.RequestCounts);
        Assert.Equal(12, second.Batch.LinesByTier!.Cached);
        Assert.Equal(0, second.Batch.Usage.TotalTokens);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"second-{i}"), second.Lines.Select(l => l.GetProperty("custom_id").GetString()));
        for (var i = 0; i < 12; i++)
        {
            Assert.Equal(first.Lines[i].GetProperty("response").GetRawText(), second.Lines[i].GetProperty("response").GetRawText());
            Assert.True(second.Lines[i].GetProperty("response").GetProperty("body").GetProperty("usage").GetProperty("total_tokens").GetInt32() > 0);
        }
    }

    [Fact]
    public async Task A_changed_temperature_model_or_max_tokens_is_a_miss()
    {
        await using var simulator = await CacheRun.SimulatorAsync();
        await using var app = await StartAsync(simulator);
        await CacheRun.SubmitAsync(app, CacheRun.Jsonl([CacheRun.Line("a", "change me", model: "gpt-4o-mini", maxTokens: 16, temperature: 0.5)]), ("cache", "true"));

        var second = await CacheRun.SubmitAsync(app, CacheRun.Jsonl(
        [
            CacheRun.Line("same", "change me", model: "gpt-4o-mini", maxTokens: 16, temperature: 0.5),
            CacheRun.Line("temperature", "change me", model: "gpt-4o-mini", maxTokens: 16, temperature: 0.7),
            CacheRun.Line("model", "change me", model: "gpt-4o", maxTokens: 16, temperature: 0.5),
            CacheRun.Line("max_tokens", "change me", model: "gpt-4o-mini", maxTokens: 17, temperature: 0.5),
        ]), ("cache", "true"));

        Assert.Equal(4, simulator.Stats.Requests);
        Assert.Equal(["same"], second.Cached.Select(l => l.GetProperty("custom_id").GetString()));
        Assert.All(second.Lines, l => Assert.Equal(JsonValueKind.Null, l.GetProperty("error").ValueKind));
        Assert.Equal("gpt-4o", second.Lines[2].GetProperty("response").GetProperty("body").GetProperty("model").GetString());
    }

    [Fact]
    public async Task An_expired_entry_is_a_miss_and_the_retention_pass_deletes_it()
    {
        await using var simulator = await CacheRun.SimulatorAsync();
        var clock = new ShiftedClock();
        await using var app = await StartAsync(simulator, new Dictionary<string, string?> { ["Fanout:Cache:Ttl"] = "1.00:00:00" }, services => services.AddSingleton<TimeProvider>(clock));
        var jsonl = CacheRun.Jsonl([CacheRun.Line("x", "expiring prompt")]);
        await CacheRun.SubmitAsync(app, jsonl, ("cache", "true"));
        var purger = app.Services.GetRequiredService<ResponseCacheStore>();

        clock.Shift = TimeSpan.FromHours(23);
        var young = await CacheRun.SubmitAsync(app, jsonl, ("cache", "true"));
        var keptAt23h = await purger.PurgeExpiredAsync(CancellationToken.None);
        clock.Shift = TimeSpan.FromHours(25);
        var purgedAt25h = await purger.PurgeExpiredAsync(CancellationToken.None);
        var old = await CacheRun.SubmitAsync(app, jsonl, ("cache", "true"));

        Assert.Single(young.Cached);
        Assert.Equal(0, keptAt23h);
        Assert.Equal(1, purgedAt25h);
        Assert.Empty(old.Cached);
        Assert.Equal(2, simulator.Stats.Requests);
        Assert.Single(await EntriesAsync());
    }

    [Fact]
    public async Task A_corrupt_entry_is_a_miss_and_is_answered_again()
    {
        await using var simulator = await CacheRun.SimulatorAsync();
        await using var app = await StartAsync(simulator);
        var jsonl = CacheRun.Jsonl([CacheRun.Line("x", "corrupt me"), CacheRun.Line("y", "keep me")]);
        await CacheRun.SubmitAsync(app, jsonl, ("cache", "true"));
        var entries = await EntriesAsync();
        var key = RequestKey.Of("/v1/chat/completions", "gpt-4o-mini", System.Text.Encoding.UTF8.GetBytes("""{"messages":[{"role":"user","content":"corrupt me"}],"max_tokens":16}"""));
        Assert.Contains(key, entries);

        // Cut in half, with its metadata kept: unreadable, not expired.
        var blob = CacheContainer.GetBlobClient(key);
        var content = (await blob.DownloadContentAsync()).Value;
        await blob.UploadAsync(BinaryData.FromBytes(content.Content.ToArray()[..(content.Content.ToArray().Length / 2)]), new Azure.Storage.Blobs.Models.BlobUploadOptions { Metadata = content.Details.Metadata });
        var again = await CacheRun.SubmitAsync(app, jsonl, ("cache", "true"));
        var healed = await CacheRun.SubmitAsync(app, jsonl, ("cache", "true"));

        Assert.Equal(3, simulator.Stats.Requests);
        Assert.Equal(["y"], again.Cached.Select(l => l.GetProperty("custom_id").GetString()));
        Assert.All(again.Lines, l => Assert.Equal(JsonValueKind.Null, l.GetProperty("error").ValueKind));
        Assert.Equal(2, healed.Cached.Count());
    }

    [Fact]
    public async Task Copies_inside_a_batch_are_sent_once_across_chunks_and_the_others_copy_the_answer()
    {
        await using var simulator = await CacheRun.SimulatorAsync(new SimulatorOptions { LatencyMs = 200 });
        await using var app = await StartAsync(simulator);
        var jsonl = FanoutTestApp.Jsonl(40, i => $"copied prompt {i % 4}");
        var id = "it_" + Guid.NewGuid().ToString("N")[..12];
        var prepared = await app.Preparer.PrepareAsync(id, new MemoryStream(jsonl), 10, CancellationToken.None);
        await app.Client.ScheduleNewOrchestrationInstanceAsync(
            nameof(BatchOrchestrator), new BatchInput(id, "gpt-4o-mini", 40, 0, Prepared: prepared, ChunkSize: 10, MinChunkWindow: 5, Cache: true), new StartOrchestrationOptions(id));

        var run = await CacheRun.FinishedAsync(app, id);

        Assert.Equal(4, simulator.Stats.Requests);
        Assert.Equal(36, run.Cached.Count());
        Assert.Equal(new RequestCounts(40, 40, 0, 36), run.Batch.RequestCounts);
        for (var i = 4; i < 40; i++)
        {
            Assert.Equal(run.Lines[i % 4].GetProperty("response").GetRawText(), run.Lines[i].GetProperty("response").GetRawText());
        }

        var spent = run.Lines.Where(l => !CacheRun.IsCached(l)).Sum(l => l.GetProperty("response").GetProperty("body").GetProperty("usage").GetProperty("total_tokens").GetInt64());
        Assert.Equal(spent, run.Batch.Usage.TotalTokens);
    }

    [Fact]
    public async Task A_failed_first_copy_is_not_copied_and_the_next_copy_is_called()
    {
        // The simulator's faults depend only on (seed, prompt, attempt): find a prompt whose first call fails and second
        // succeeds, then forget the attempts and run the batch.
        await using var simulator = await CacheRun.SimulatorAsync(new SimulatorOptions { LatencyMs = 5, FailureRate = 0.5, Seed = 25 });
        using var http = new HttpClient { BaseAddress = simulator.BaseUri };
        string? prompt = null;
        for (var k = 0; prompt is null && k < 64; k++)
        {
            var candidate = $"failing copy {k}";
            var statuses = new List<int>();
            for (var attempt = 0; attempt < 2; attempt++)
            {
                using var probe = await http.PostAsJsonAsync("v1/chat/completions", new { model = "gpt-4o-mini", messages = new[] { new { role = "user", content = candidate } }, max_tokens = 16 });
                statuses.Add((int)probe.StatusCode);
            }

            prompt = statuses is [500, 200] ? candidate : null;
        }

        Assert.NotNull(prompt);
        simulator.ResetStats();
        await using var app = await StartAsync(simulator);

        // One call at a time: copy 0 is called first and fails (a 500, handed back for a durable retry after 1 s); copy 1
        // is called next, not told copy 0's failure; copy 2 and copy 0's retry copy copy 1's answer.
        var run = await CacheRun.SubmitAsync(app, CacheRun.Jsonl(Enumerable.Range(0, 3).Select(i => CacheRun.Line($"copy-{i}", prompt))), ("cache", "true"), ("maxConcurrency", "1"));

        Assert.Equal(2, simulator.Stats.Requests);
        Assert.Equal(1, simulator.Stats.Failed);
        Assert.All(run.Lines, l => Assert.Equal(JsonValueKind.Null, l.GetProperty("error").ValueKind));
        Assert.Equal([true, false, true], run.Lines.Select(CacheRun.IsCached));
        Assert.All(run.Lines, l => Assert.Equal(run.Lines[1].GetProperty("response").GetRawText(), l.GetProperty("response").GetRawText()));
        Assert.Equal(new RequestCounts(3, 3, 0, 2), run.Batch.RequestCounts);
        Assert.Equal(1, run.Result.Counts.Retries);
    }

    [Fact]
    public async Task The_token_budget_ignores_cached_lines()
    {
        await using var simulator = await CacheRun.SimulatorAsync();
        await using var app = await StartAsync(simulator);
        var jsonl = CacheRun.Jsonl(Enumerable.Range(0, 10).Select(i => CacheRun.Line($"b-{i}", $"budget prompt {i}")));
        var first = await CacheRun.SubmitAsync(app, jsonl, ("cache", "true"));

        // A budget of one token: any line whose usage counted would use it up and end the rest budget_exceeded.
        var second = await CacheRun.SubmitAsync(app, jsonl, ("cache", "true"), ("maxTotalTokens", "1"), ("maxConcurrency", "2"));

        Assert.True(first.Batch.Usage.TotalTokens > 10);
        Assert.Equal(10, second.Cached.Count());
        Assert.Equal(new RequestCounts(10, 10, 0, 10), second.Batch.RequestCounts);
        Assert.Equal(0, second.Batch.Usage.TotalTokens);
        Assert.False(second.Result.BudgetExceeded);
        Assert.Equal(10, simulator.Stats.Requests);
    }

    [Fact]
    public async Task A_batch_without_the_cache_never_touches_the_store()
    {
        await using var simulator = await CacheRun.SimulatorAsync();
        await using var app = await StartAsync(simulator, new Dictionary<string, string?> { ["Fanout:Cache:Default"] = "false" });
        var jsonl = FanoutTestApp.Jsonl(6, i => $"uncached prompt {i % 3}");

        var run = await CacheRun.SubmitAsync(app, jsonl);
        var off = await CacheRun.SubmitAsync(app, jsonl, ("cache", "false"));
        var estimate = await EstimateAsync(app, jsonl, cache: false);

        Assert.Equal(12, simulator.Stats.Requests);
        Assert.Empty(run.Cached);
        Assert.Empty(off.Cached);
        Assert.Equal(0, estimate.CachedLines);
        Assert.False(await CacheContainer.ExistsAsync());
    }

    [Fact]
    public async Task The_host_default_turns_the_cache_on_for_batches_that_do_not_say()
    {
        await using var simulator = await CacheRun.SimulatorAsync();
        await using var app = await StartAsync(simulator, new Dictionary<string, string?> { ["Fanout:Cache:Default"] = "true" });
        var jsonl = FanoutTestApp.Jsonl(3, i => $"default prompt {i}");

        await CacheRun.SubmitAsync(app, jsonl);
        var rerun = await CacheRun.SubmitAsync(app, jsonl);

        Assert.Equal(3, simulator.Stats.Requests);
        Assert.Equal(3, rerun.Cached.Count());
    }

    private Task<FanoutTestApp> StartAsync(Fanout.Simulator.SimulatorServer simulator, Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var all = new Dictionary<string, string?>(settings ?? []) { ["Fanout:Cache:Container"] = _container, ["Fanout:OpenAI:MaxRetries"] = "0" };
        return FanoutTestApp.StartAsync(azurite.ConnectionString, simulator, DurableBackendKind.Memory, output, all, configureServices: services);
    }

    private static async Task<Fanout.Core.Estimates.BatchEstimate> EstimateAsync(FanoutTestApp app, byte[] jsonl, bool cache)
    {
        var reply = await app.Services.GetRequiredService<BatchSubmitService>().SubmitAsync(
            new SubmitRequest(new MemoryStream(jsonl), SubmitFormat.Jsonl, jsonl.Length, QueryArgs.Of(("dryRun", "true"), ("cache", cache ? "true" : "false")), null),
            app.Client, CancellationToken.None);
        return reply.Value!.Estimate!;
    }

    private async Task<List<string>> EntriesAsync()
    {
        var names = new List<string>();
        await foreach (var item in CacheContainer.GetBlobsAsync())
        {
            if (!item.Name.StartsWith("claims/", StringComparison.Ordinal))
            {
                names.Add(item.Name);
            }
        }

        return names;
    }

    private sealed class ShiftedClock : TimeProvider
    {
        public TimeSpan Shift { get; set; }

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Shift;
    }
}
