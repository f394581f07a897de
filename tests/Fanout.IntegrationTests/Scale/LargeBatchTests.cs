using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Fanout.Core.Models;
using Fanout.Core.Orchestrations;
using Fanout.Core.Retention;
using Fanout.Durable;
using Fanout.Host.Retention;
using Fanout.IntegrationTests.Infrastructure;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.Scale;

/// <summary>
/// Far beyond 100,000 lines on the memory backend: the input streams in from a file, the lines run as chunk
/// orchestrations over several executions of the batch orchestration (continue-as-new), the output streams out, and
/// the process's memory stays below a stated bound.
/// </summary>
public sealed class LargeBatchTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    private const int Lines = 200_000;

    /// <summary>
    /// The bound on this test process's working set while the batch runs. What it must hold: the simulator, the
    /// in-process memory backend (the histories of running chunk orchestrations; completed ones are purged every 10 s,
    /// as the portable host does), the blob caches (prepared chunks, result segments: 256 MB each at most) and the
    /// runtime. Holding the batch itself (its prompts and results, ~100 MB here) several times over, as a
    /// non-streaming path would, breaks it. Measured peaks: 1,116 MB without the chunk purge (the backend then holds
    /// every chunk's history: it grows with the batch), 765 MB with it, alone on the machine.
    /// </summary>
    private const long RssBoundBytes = 1_100L * 1024 * 1024;

    [Fact]
    public async Task A_200000_line_batch_runs_in_order_with_the_process_memory_below_its_bound()
    {
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 1 });
        // As the portable host does: completed chunk orchestrations are purged every 10 s while the batch runs.
        await using var app = await FanoutTestApp.StartAsync(
            azurite.ConnectionString,
            simulator,
            DurableBackendKind.Memory,
            output,
            configureServices: services => services.AddFanoutRetention().AddHostedService<HistoryRetentionService>());
        var path = Path.Combine(Path.GetTempPath(), $"fanout-200k-{Guid.NewGuid():N}.jsonl");
        try
        {
            await WriteInputAsync(path);
            var baseline = Environment.WorkingSet;
            using var sampler = new WorkingSetSampler();
            var stopwatch = Stopwatch.StartNew();

            var id = "scale_" + Guid.NewGuid().ToString("N")[..12];
            PreparedBatch prepared;
            await using (var input = File.OpenRead(path))
            {
                prepared = await app.Preparer.PrepareAsync(id, input, 500, CancellationToken.None);
            }

            Assert.Equal(Lines, prepared.Total);
            var prepareSeconds = stopwatch.Elapsed.TotalSeconds;
            await app.Client.ScheduleNewOrchestrationInstanceAsync(
                nameof(BatchOrchestrator), new BatchInput(id, "gpt-4o-mini", 500, 0, Prepared: prepared), new Microsoft.DurableTask.StartOrchestrationOptions(id));
            var done = await app.WaitAsync(id, TimeSpan.FromMinutes(25)); // ~2 min on an idle 2-core machine; a bound for a hung run, not a timing check
            var runSeconds = stopwatch.Elapsed.TotalSeconds;

            Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
            var result = done.ReadOutputAs<BatchResult>()!;
            Assert.Equal(Lines, result.Counts.Completed);
            Assert.Equal(0, result.Counts.Failed);
            Assert.Equal(Lines, await CountInOrderAsync(app, id));

            var peak = sampler.Stop();
            output.WriteLine(
                $"{Lines:N0} lines, C=500, L=1 ms, memory backend: prepared in {prepareSeconds:F1} s, done in {runSeconds:F1} s ({Lines / (runSeconds - prepareSeconds):F0} lines/s); " +
                $"working set {baseline / 1048576} MB before, peak {peak / 1048576} MB (bound {RssBoundBytes / 1048576} MB), {sampler.Samples} samples");
            Assert.True(peak < RssBoundBytes, $"peak working set {peak / 1048576} MB is above the bound of {RssBoundBytes / 1048576} MB");
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Streams output.jsonl and checks that line i is custom_id p-i, without holding the output.</summary>
    private static async Task<int> CountInOrderAsync(FanoutTestApp app, string id)
    {
        await using var stream = await app.Store.OpenOutputAsync(id, "output.jsonl", CancellationToken.None) ?? throw new InvalidOperationException("no output.jsonl");
        using var reader = new StreamReader(stream);
        var count = 0;
        while (await reader.ReadLineAsync() is { } line)
        {
            using var doc = JsonDocument.Parse(line);
            Assert.Equal($"p-{count}", doc.RootElement.GetProperty("custom_id").GetString());
            Assert.Equal(200, doc.RootElement.GetProperty("response").GetProperty("status_code").GetInt32());
            count++;
        }

        return count;
    }

    private static async Task WriteInputAsync(string path)
    {
        await using var file = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        for (var i = 0; i < Lines; i++)
        {
            await file.WriteAsync($$$"""{"custom_id":"p-{{{i}}}","method":"POST","url":"/v1/chat/completions","body":{"messages":[{"role":"user","content":"Line {{{i}}}: one short fact about the number {{{i % 977}}}."}],"max_tokens":16}}""");
            await file.WriteAsync('\n');
        }
    }

    /// <summary>Samples this process's working set every 100 ms on a thread of its own.</summary>
    private sealed class WorkingSetSampler : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Thread _thread;
        private long _peak;
        private int _samples;

        public WorkingSetSampler()
        {
            _thread = new Thread(() =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    Interlocked.Exchange(ref _peak, Math.Max(Interlocked.Read(ref _peak), Environment.WorkingSet));
                    Interlocked.Increment(ref _samples);
                    _stop.Token.WaitHandle.WaitOne(100);
                }
            });
            _thread.IsBackground = true;
            _thread.Name = "working-set sampler";
            _thread.Start();
        }

        public int Samples => _samples;

        public long Stop()
        {
            _stop.Cancel();
            _thread.Join();
            return Interlocked.Read(ref _peak);
        }

        public void Dispose()
        {
            if (!_stop.IsCancellationRequested)
            {
                Stop();
            }

            _stop.Dispose();
        }
    }
}
