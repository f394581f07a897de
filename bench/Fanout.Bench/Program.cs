using System.Diagnostics;
using System.Globalization;
using Fanout.Bench;
using Fanout.Bench.Cache;
using Fanout.Bench.Deadline;
using Fanout.Bench.Measuring;
using Fanout.Bench.Pool;
using Fanout.Bench.Reporting;
using Fanout.Bench.Runners;
using Fanout.Bench.Scenarios;
using Fanout.Bench.Storage;
using Fanout.Durable;
using Fanout.LocalDev;
using Fanout.Simulator;

// The table goes to stdout; progress and host logs go to stderr.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var log = Console.Error;

BenchOptions options;
IReadOnlyList<Scenario> scenarios;
IReadOnlyList<PoolScenario> poolScenarios;
var poolRows = new List<PoolRow>();
IReadOnlyList<CacheScenario> cacheScenarios;
var cacheRows = new List<CacheRow>();
IReadOnlyList<DeadlineScenario> deadlineScenarios;
var deadlineRows = new List<DeadlineRow>();
try
{
    options = BenchOptions.Parse(args);
    poolScenarios = PoolScenario.Select(options.Scenarios);
    cacheScenarios = CacheScenario.Select(options.Scenarios);
    deadlineScenarios = DeadlineScenario.Select(options.Scenarios);
    var special = poolScenarios.Count + cacheScenarios.Count + deadlineScenarios.Count;
    scenarios = special > 0 && special == options.Scenarios.Count
        ? []
        : ScenarioCatalog.Select([.. options.Scenarios.Where(n => !PoolScenario.IsPool(n) && !CacheScenario.IsCache(n) && !DeadlineScenario.IsDeadline(n))], options.Quick);
}
catch (ArgumentException e)
{
    await log.WriteLineAsync(e.Message);
    await log.WriteLineAsync(BenchOptions.Usage);
    return 2;
}

if (options.Help)
{
    await Console.Out.WriteLineAsync(BenchOptions.Usage);
    return 0;
}

if (options.List)
{
    foreach (var s in ScenarioCatalog.All)
    {
        await Console.Out.WriteLineAsync(
            $"{s.Name,-22} N={s.Count,-6} C={s.MaxConcurrency,-4} L={s.LatencyMs} ms{(s.TokensPerMinute > 0 ? $", TPM={s.TokensPerMinute} (~{s.QuotaRequestsPerSecond} prompts/s, {s.QuotaWindowSeconds} s window)" : string.Empty)}{(s.Quick ? "  [quick]" : string.Empty)}");
    }

    return 0;
}

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // First Ctrl+C: stop cleanly (Azurite is stopped by its pid); a second one kills the process.
    e.Cancel = !cts.IsCancellationRequested;
    cts.Cancel();
};

var repoRoot = RepoRoot.Find(Directory.GetCurrentDirectory()) ?? RepoRoot.Find(AppContext.BaseDirectory);
if (repoRoot is null)
{
    await log.WriteLineAsync("Run the bench from the repository (Functions.sln was not found above the current directory).");
    return 2;
}

var outputPath = Path.GetFullPath(options.OutputPath ?? Path.Combine(repoRoot, "bench", "results", "latest.json"));
var report = new BenchReport
{
    StartedAt = DateTimeOffset.UtcNow,
    Machine = MachineInfo.Current(),
    Arguments = args,
    HostOverrides = options.HostOverrides,
};

var total = Stopwatch.StartNew();
var dataDirectory = Path.Combine(Path.GetTempPath(), "fanout-bench-azurite-" + Guid.NewGuid().ToString("N")[..8]);
try
{
    await AzuriteInstaller.EnsureInstalledAsync(repoRoot, null, cts.Token);
    await using (var azurite = await AzuriteProcess.StartAsync(dataDirectory, repoRoot, null, cts.Token))
    {
        await log.WriteLineAsync($"Azurite pid {azurite.ProcessId}, data in {dataDirectory}");
        if (options.StorageProbe)
        {
            var duration = options.ProbeDuration ?? TimeSpan.FromSeconds(options.Quick ? 2 : 5);
            await log.WriteLineAsync($"Storage probe: {StorageLimitProbe.DefaultClients} clients, {duration.TotalSeconds:0.#} s per operation kind…");
            await using var sampler = ResourceSampler.Start(azurite.ProcessId);
            var probe = await StorageLimitProbe.RunAsync(azurite.ConnectionString, azurite.ProcessId, StorageLimitProbe.DefaultClients, duration, cts.Token);
            var usage = await sampler.StopAsync();
            report.Storage = probe with { OtherCpuSeconds = usage.OtherCpuSeconds, AzuriteCpuSeconds = usage.AzuriteCpuTime.TotalSeconds };
            await log.WriteLineAsync(
                $"  queue lifecycles/s {report.Storage.QueueLifecyclesPerSecond:0} ({report.Storage.AzuriteCpuMsPerQueueLifecycle:0.00} ms Azurite CPU each), " +
                $"table upserts/s {report.Storage.TableUpsertsPerSecond:0} ({report.Storage.AzuriteCpuMsPerTableUpsert:0.00} ms), " +
                $"blob uploads/s {report.Storage.BlobUploadsPerSecond:0} ({report.Storage.AzuriteCpuMsPerBlobUpload:0.00} ms)");
        }

        using var counter = options.CountRequests ? new RequestCounter(azurite.BlobPort, azurite.QueuePort, azurite.TablePort) : null;
        using var jit = options.CountJit ? new JitCounter() : null;
        var probes = new RunProbes(counter, jit);
        foreach (var scenario in scenarios)
        {
            await using var simulator = await SimulatorServer.StartAsync(scenario.SimulatorOptions(), 0, cts.Token);
            if (options.Baseline)
            {
                await RunAsync(scenario, RunnerNames.Baseline, () => BaselineRunner.RunAsync(scenario, simulator, options.WarmUp, azurite.ProcessId, probes, cts.Token));
            }

            if (options.RunMemory)
            {
                await RunAsync(scenario, RunnerNames.FanoutMemory, () => FanoutRunner.RunAsync(
                    scenario, simulator, DurableBackendKind.Memory, azurite.ConnectionString, azurite.ProcessId, options.HostOverrides, options.WarmUp, probes, log, cts.Token));
            }

            if (options.RunAzureStorage)
            {
                await RunAsync(scenario, RunnerNames.FanoutAzureStorage, () => FanoutRunner.RunAsync(
                    scenario, simulator, DurableBackendKind.AzureStorage, azurite.ConnectionString, azurite.ProcessId, options.HostOverrides, options.WarmUp, probes, log, cts.Token));
            }
        }

        foreach (var pool in poolScenarios)
        {
            poolRows.AddRange(await PoolBench.RunAsync(pool, azurite.ConnectionString, azurite.ProcessId, options.HostOverrides, options.WarmUp, probes, log, cts.Token));
        }

        foreach (var cache in cacheScenarios)
        {
            await log.WriteLineAsync($"[{total.Elapsed.TotalSeconds,5:0}s] {cache.Name}: N={cache.Count} C={cache.MaxConcurrency} L={cache.LatencyMs} ms, cache on…");
            cacheRows.AddRange(await CacheBench.RunAsync(cache, azurite.ConnectionString, options.HostOverrides, log, cts.Token));
        }

        foreach (var deadline in deadlineScenarios)
        {
            await log.WriteLineAsync($"[{total.Elapsed.TotalSeconds,5:0}s] {deadline.Name}: N={deadline.Count} C={deadline.MaxConcurrency}, turnaround {deadline.TurnaroundSeconds} s, deadline {deadline.DeadlineSeconds} s…");
            deadlineRows.AddRange(await DeadlineBench.RunAsync(deadline, azurite.ConnectionString, options.HostOverrides, log, cts.Token));
        }
    }
}
catch (OperationCanceledException) when (cts.IsCancellationRequested)
{
    await log.WriteLineAsync("Cancelled; reporting the rows measured so far.");
}
finally
{
    try
    {
        Directory.Delete(dataDirectory, recursive: true);
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
    {
        await log.WriteLineAsync($"Could not delete {dataDirectory}: {e.Message}");
    }
}

report.FinishedAt = DateTimeOffset.UtcNow;
report.ProcessPeakWorkingSetMb = Process.GetCurrentProcess().PeakWorkingSet64 / 1024.0 / 1024;
report.Complete();
Directory.CreateDirectory(Path.GetDirectoryName(outputPath)!);
await File.WriteAllTextAsync(outputPath, report.ToJson());
await Console.Out.WriteLineAsync(report.ToMarkdown());
if (poolRows.Count > 0)
{
    await Console.Out.WriteLineAsync(PoolBench.ToMarkdown(poolRows));
}

if (cacheRows.Count > 0)
{
    await Console.Out.WriteLineAsync(CacheBench.ToMarkdown(cacheRows));
}

if (deadlineRows.Count > 0)
{
    await Console.Out.WriteLineAsync(DeadlineBench.ToMarkdown(deadlineRows));
}

await log.WriteLineAsync($"Done in {total.Elapsed.TotalSeconds:0} s; JSON: {outputPath}");
return report.Rows.All(r => r.Problem is null && r.Verified) && poolRows.All(r => r.Row.Problem is null && r.Row.Verified) && cacheRows.All(r => r.Problem is null) && deadlineRows.All(r => r.Problem is null) ? 0 : 1;

async Task RunAsync(Scenario scenario, string runner, Func<Task<BenchRow>> run)
{
    await log.WriteLineAsync($"[{total.Elapsed.TotalSeconds,5:0}s] {scenario.Name} / {runner}: N={scenario.Count} C={scenario.MaxConcurrency} L={scenario.LatencyMs} ms…");
    BenchRow row;
    try
    {
        row = await run();
    }
    catch (Exception e) when (e is not OperationCanceledException || !cts.IsCancellationRequested)
    {
        row = BenchRow.For(scenario, runner);
        row.Problem = $"{e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}";
    }

    report.Rows.Add(row);
    if (row.JitCompiledByType is { } jitted)
    {
        await log.WriteLineAsync($"         JIT-compiled {jitted.Values.Sum()} methods; most by type:");
        foreach (var (type, count) in jitted.Take(15))
        {
            await log.WriteLineAsync($"           {count,8}  {type}");
        }
    }
    await log.WriteLineAsync(
        $"         wall {row.WallSeconds:0.00} s, {row.PromptsPerSecond:0.#} prompts/s, peak conc. {row.SimulatorPeakConcurrency}, 429s {row.RateLimited}, failed {row.Failed}" +
        (row.Problem is null ? string.Empty : $" — {row.Problem}"));
    if (row.Requests is { } requests)
    {
        foreach (var (kind, count) in requests.Take(25))
        {
            await log.WriteLineAsync($"           {(double)count / row.N,8:0.00}/prompt  {count,8}  {kind}");
        }
    }
}
