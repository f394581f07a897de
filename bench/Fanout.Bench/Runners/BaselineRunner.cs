using System.ClientModel;
using System.Diagnostics;
using Azure.AI.OpenAI;
using Fanout.Bench.Measuring;
using Fanout.Bench.Reporting;
using Fanout.Bench.Scenarios;
using Fanout.Simulator;
using OpenAI.Chat;

namespace Fanout.Bench.Runners;

/// <summary>
/// The seed's approach in C#: every prompt as a task, a <see cref="SemaphoreSlim"/> of C around each call, one
/// <see cref="Task.WhenAll(IEnumerable{Task})"/>, the same Azure.AI.OpenAI client with its default options (its retry
/// policy honours Retry-After). Results are kept in input order in memory; nothing is durable.
/// </summary>
internal static class BaselineRunner
{
    public static async Task<BenchRow> RunAsync(
        Scenario scenario, SimulatorServer simulator, int warmUp, int? azuritePid, RunProbes probes, CancellationToken cancellationToken)
    {
        var clientOptions = new AzureOpenAIClientOptions();
        if (scenario.CallTimeoutSeconds > 0)
        {
            clientOptions.NetworkTimeout = TimeSpan.FromSeconds(scenario.CallTimeoutSeconds);
        }

        var client = new AzureOpenAIClient(simulator.BaseUri, new ApiKeyCredential("sim"), clientOptions);
        var chat = client.GetChatClient(Prompts.Deployment);
        var row = BenchRow.For(scenario, RunnerNames.Baseline);
        row.LoadAverageAtStart = SystemCpu.LoadAverage();

        // Warm-up (not measured): connections, JIT; with no latency and no quota, then the simulator forgets it.
        using (SimulatorQuiet.Begin(simulator))
        {
            if (warmUp > 0)
            {
                await RunAllAsync(chat, Enumerable.Range(0, warmUp).Select(Prompts.WarmUpText).ToArray(), Math.Min(warmUp, scenario.MaxConcurrency), cancellationToken).ConfigureAwait(false);
            }
        }

        var prompts = Enumerable.Range(0, scenario.Count).Select(Prompts.Text).ToArray();
        simulator.ResetStats();
        await using var sampler = ResourceSampler.Start(azuritePid);
        probes.Start();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(scenario.Timeout);
        var stopwatch = Stopwatch.StartNew();
        string?[] answers;
        try
        {
            answers = await RunAllAsync(chat, prompts, scenario.MaxConcurrency, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            row.WallSeconds = stopwatch.Elapsed.TotalSeconds;
            row.Problem = "timeout";
            await FillAsync(row, simulator, sampler, probes).ConfigureAwait(false);
            return row;
        }

        row.WallSeconds = stopwatch.Elapsed.TotalSeconds;
        await FillAsync(row, simulator, sampler, probes).ConfigureAwait(false);

        var mismatched = 0;
        for (var i = 0; i < answers.Length; i++)
        {
            if (answers[i] is null)
            {
                row.Failed++;
            }
            else if (answers[i] == SimulatorResponder.ContentFor(prompts[i]))
            {
                row.Succeeded++;
            }
            else
            {
                mismatched++;
            }
        }

        row.Verified = mismatched == 0;
        if (mismatched > 0)
        {
            row.Problem = $"{mismatched} answers do not match their prompt";
        }

        return row;
    }

    /// <summary>The baseline itself.</summary>
    private static async Task<string?[]> RunAllAsync(ChatClient chat, string[] prompts, int maxConcurrency, CancellationToken cancellationToken)
    {
        using var gate = new SemaphoreSlim(maxConcurrency);
        var tasks = prompts.Select(async prompt =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var completion = await chat.CompleteChatAsync(
                    [new UserChatMessage(prompt)],
                    new ChatCompletionOptions { MaxOutputTokenCount = Prompts.MaxTokens },
                    cancellationToken).ConfigureAwait(false);
                return completion.Value.Content[0].Text;
            }
            catch (ClientResultException)
            {
                // Still failing after the client's own retries (for example 429s past its retry budget).
                return null;
            }
            finally
            {
                gate.Release();
            }
        });
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private static async Task FillAsync(BenchRow row, SimulatorServer simulator, ResourceSampler sampler, RunProbes probes)
    {
        probes.StopInto(row);
        var usage = await sampler.StopAsync().ConfigureAwait(false);
        RowStats.Fill(row, simulator, usage);
    }
}

/// <summary>Copies the simulator's counters and the resource usage into a row.</summary>
internal static class RowStats
{
    public static void Fill(BenchRow row, SimulatorServer simulator, ResourceUsage usage)
    {
        var stats = simulator.Stats.Snapshot();
        row.SimulatorPeakConcurrency = stats.PeakConcurrency;
        row.SimulatorRequests = stats.Requests;
        row.RateLimited = stats.RateLimited;
        row.DuplicatePrompts = stats.DuplicatePrompts;
        row.TokensAdmitted = stats.TokensAdmitted;
        row.Injected5xx = stats.Failed;
        row.InjectedHangs = stats.Hung;
        row.PeakRssMb = usage.PeakWorkingSetBytes / 1024.0 / 1024;
        row.AzuritePeakRssMb = usage.AzuritePeakWorkingSetBytes / 1024.0 / 1024;
        row.CpuSeconds = usage.CpuTime.TotalSeconds;
        row.AzuriteCpuSeconds = usage.AzuriteCpuTime.TotalSeconds;
        row.OtherCpuSeconds = usage.OtherCpuSeconds;
        row.AllocatedMb = usage.AllocatedBytes / 1024.0 / 1024;
        row.GcPauseSeconds = usage.GcPause.TotalSeconds;
        row.GcCount = usage.Gen0;
        row.Gen2Count = usage.Gen2;
    }
}

/// <summary>Switches the simulator's latency, quota and faults off for a warm-up, and back on when disposed.</summary>
internal sealed class SimulatorQuiet : IDisposable
{
    private readonly SimulatorServer _simulator;
    private readonly int _latency;
    private readonly long _tpm;
    private readonly double _failures;
    private readonly double _hangs;
    private bool _disposed;

    private SimulatorQuiet(SimulatorServer simulator)
    {
        _simulator = simulator;
        _latency = simulator.Options.LatencyMs;
        _tpm = simulator.Options.TokensPerMinute;
        _failures = simulator.Options.FailureRate;
        _hangs = simulator.Options.HangRate;
        simulator.Options.LatencyMs = 0;
        simulator.Options.TokensPerMinute = 0;
        simulator.Options.FailureRate = 0;
        simulator.Options.HangRate = 0;
    }

    public static SimulatorQuiet Begin(SimulatorServer simulator) => new(simulator);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _simulator.Options.LatencyMs = _latency;
        _simulator.Options.TokensPerMinute = _tpm;
        _simulator.Options.FailureRate = _failures;
        _simulator.Options.HangRate = _hangs;
    }
}
