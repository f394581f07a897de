using System.Diagnostics;
using System.Globalization;
using System.Text;
using Fanout.Bench.Measuring;
using Fanout.Bench.Reporting;
using Fanout.Bench.Runners;
using Fanout.Durable;
using Fanout.Simulator;
using Fanout.Simulator.Options;

namespace Fanout.Bench.Pool;

/// <summary>What one pool row measured besides the common row.</summary>
internal sealed class PoolRow
{
    public required BenchRow Row { get; init; }

    public required PoolScenario Scenario { get; init; }

    /// <summary>baseline, fanout-single (Fanout on one deployment) or fanout-pool.</summary>
    public required string Runner { get; init; }

    /// <summary>Tokens per minute admitted in steady state (after the first quota window, before the tail); null for the baseline (not sampled).</summary>
    public double? SteadyTokensPerMinute { get; set; }

    /// <summary>The quota the runner could use: the summed members' (pool) or the single deployment's.</summary>
    public long QuotaTokensPerMinute { get; set; }

    /// <summary>Each member's share of the tokens admitted.</summary>
    public IReadOnlyDictionary<string, double>? Shares { get; set; }

    /// <summary>Tokens per minute the survivors admitted while the member was down, over their summed quota.</summary>
    public double? OutageFraction { get; set; }

    /// <summary>The single-deployment Fanout run of the same scenario, when there is one.</summary>
    public double? SpeedUpOverSingle { get; set; }

    /// <summary>With tiers: the provisioned member's steady rate over its own quota.</summary>
    public double? ProvisionedOfQuota { get; set; }
}

/// <summary>
/// Runs the pool scenarios: the baseline on one deployment, optionally Fanout on one deployment, then Fanout over the
/// pool of three, all on the same simulator (the single deployment and the three members each have their own window).
/// Token rates come from the simulator's admitted-token counters sampled every 250 ms: the steady rate is the slope
/// from the end of the first quota window (an empty window admits a whole window at once) to the last sample before
/// 95 % of the run's tokens were in.
/// </summary>
internal static class PoolBench
{
    private static readonly TimeSpan SampleEvery = TimeSpan.FromMilliseconds(250);

    public static async Task<List<PoolRow>> RunAsync(
        PoolScenario pool, string storageConnectionString, int? azuritePid, IReadOnlyList<string> hostOverrides, int warmUp, RunProbes probes, TextWriter log,
        CancellationToken cancellationToken)
    {
        var rows = new List<PoolRow>();
        await using var simulator = await SimulatorServer.StartAsync(pool.SimulatorOptions(), 0, cancellationToken).ConfigureAwait(false);
        var single = pool.Single;
        var singleQuota = single.TokensPerMinute;

        await log.WriteLineAsync($"{pool.Name} / baseline (one deployment, {singleQuota} TPM)…").ConfigureAwait(false);
        var baseline = await BaselineRunner.RunAsync(single, simulator, warmUp, azuritePid, probes, cancellationToken).ConfigureAwait(false);
        rows.Add(new PoolRow { Row = baseline, Scenario = pool, Runner = RunnerNames.Baseline, QuotaTokensPerMinute = singleQuota });
        TokenSampler sampler;

        PoolRow? fanoutSingle = null;
        if (pool.RunSingle)
        {
            await log.WriteLineAsync($"{pool.Name} / fanout-single…").ConfigureAwait(false);
            sampler = new TokenSampler(simulator, ["gpt-4o-mini"]);
            var row = await FanoutRunner.RunAsync(
                single, simulator, DurableBackendKind.Memory, storageConnectionString, azuritePid, hostOverrides, warmUp, probes, log, cancellationToken, sampler.Start).ConfigureAwait(false);
            sampler.Stop();
            fanoutSingle = Finish(pool, row, "fanout-single", sampler, singleQuota, "gpt-4o-mini");
            rows.Add(fanoutSingle);
        }

        await log.WriteLineAsync($"{pool.Name} / fanout-pool (3 members, {pool.SummedTokensPerMinute()} TPM summed)…").ConfigureAwait(false);
        sampler = new TokenSampler(simulator, PoolScenario.Members);
        Task outage = Task.CompletedTask;
        (double Start, double End)? downAt = null;
        using var stopOutage = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        void OnSubmit()
        {
            sampler.Start();
            if (pool.Outage)
            {
                outage = Task.Run(
                    async () =>
                    {
                        var third = pool.ExpectedWall / 3;
                        await Task.Delay(third, stopOutage.Token).ConfigureAwait(false);
                        var start = sampler.Elapsed;
                        simulator.StopDeployment(PoolScenario.Members[^1], DeploymentOutage.ServiceUnavailable);
                        try
                        {
                            await Task.Delay(third, stopOutage.Token).ConfigureAwait(false);
                        }
                        finally
                        {
                            simulator.StartDeployment(PoolScenario.Members[^1]);
                            downAt = (start, sampler.Elapsed);
                        }
                    },
                    CancellationToken.None);
            }
        }

        var poolOverrides = hostOverrides.Concat(pool.PoolOverrides(simulator.BaseUri)).ToList();
        var poolRow = await FanoutRunner.RunAsync(
            single, simulator, DurableBackendKind.Memory, storageConnectionString, azuritePid, poolOverrides, warmUp, probes, log, cancellationToken, OnSubmit).ConfigureAwait(false);
        await stopOutage.CancelAsync().ConfigureAwait(false);
        try
        {
            await outage.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The run ended before the outage's end: it ends now.
        }

        sampler.Stop();
        var result = Finish(pool, poolRow, "fanout-pool", sampler, pool.SummedTokensPerMinute(), PoolScenario.Members);
        result.Shares = sampler.Shares();
        if (pool.Tiers is { } tiers && Array.IndexOf(tiers, "provisioned") is >= 0 and var ptu)
        {
            result.ProvisionedOfQuota = sampler.SteadyRate([PoolScenario.Members[ptu]], PoolScenario.WindowSeconds) / pool.MemberTokensPerMinute(ptu);
        }
        if (downAt is { } down)
        {
            var survivors = PoolScenario.Members[..^1];
            result.OutageFraction = sampler.Rate(survivors, down.Start, down.End) / pool.SummedTokensPerMinute([.. Enumerable.Range(0, survivors.Length)]);
        }

        if (fanoutSingle is not null && result.Row.WallSeconds > 0)
        {
            result.SpeedUpOverSingle = fanoutSingle.Row.WallSeconds / result.Row.WallSeconds;
        }

        rows.Add(result);
        foreach (var row in rows)
        {
            row.Row.RatioToBaseline = baseline.WallSeconds > 0 ? row.Row.WallSeconds / baseline.WallSeconds : null;
        }

        return rows;
    }

    public static string ToMarkdown(IEnumerable<PoolRow> rows)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("| scenario | runner | N | C | wall | × baseline | tokens/min (whole run) | tokens/min (steady) | of its quota (steady) | calls retried | failed | sim peak conc. | shares (east/west/north) | outage: survivors' rate / their quota | notes |");
        sb.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|---|");
        foreach (var p in rows)
        {
            var r = p.Row;
            var retried = r.SimulatorRequests <= 0 ? 0 : (double)Math.Max(0, r.SimulatorRequests - r.N) / r.SimulatorRequests;
            var shares = p.Shares is null ? "" : string.Join(" / ", PoolScenario.Members.Select(m => p.Shares.TryGetValue(m, out var v) ? v.ToString("P0", ci) : "0 %"));
            var quota = string.Join(" / ", p.Scenario.Shares.Select(s => ((double)s / p.Scenario.Shares.Sum()).ToString("P0", ci)));
            var notes = new List<string>();
            if (p.SpeedUpOverSingle is { } speedUp)
            {
                notes.Add($"{speedUp.ToString("0.00", ci)}× fanout-single");
            }

            if (p.Shares is not null)
            {
                notes.Add($"quota shares {quota}");
            }

            notes.Add($"CPU {r.CpuMsPerPrompt.ToString("0.00", ci)} ms/prompt (host {r.HostCpuMsPerPrompt.ToString("0.00", ci)} + storage {r.StorageCpuMsPerPrompt.ToString("0.00", ci)})");
            if (p.ProvisionedOfQuota is { } ofQuota)
            {
                notes.Add($"provisioned at {ofQuota.ToString("P0", ci)} of its quota (steady)");
            }

            if (r.Problem is not null || !r.Verified)
            {
                notes.Add(r.Problem ?? r.FirstError ?? "output not verified");
            }

            sb.AppendLine(ci, $"| {r.Scenario} | {p.Runner} | {r.N} | {r.C} | {r.WallSeconds.ToString("0.0", ci)} s | {(r.RatioToBaseline is { } x ? x.ToString("0.00", ci) : "")} | {(r.WallSeconds > 0 ? (r.TokensAdmitted / r.WallSeconds * 60).ToString("N0", ci) : "")} | {p.SteadyTokensPerMinute?.ToString("N0", ci)} | {(p.SteadyTokensPerMinute is { } steady ? $"{(steady / p.QuotaTokensPerMinute).ToString("P0", ci)} of {p.QuotaTokensPerMinute.ToString("N0", ci)}" : $"(quota {p.QuotaTokensPerMinute.ToString("N0", ci)})")} | {retried.ToString("P1", ci)} | {r.Failed} | {r.SimulatorPeakConcurrency} | {shares} | {(p.OutageFraction is { } f ? f.ToString("P0", ci) : "")} | {string.Join("; ", notes)} |");
        }

        return sb.ToString();
    }

    private static PoolRow Finish(PoolScenario pool, BenchRow row, string runner, TokenSampler sampler, long quota, params string[] deployments)
        => new()
        {
            Row = row,
            Runner = runner,
            Scenario = pool,
            QuotaTokensPerMinute = quota,
            SteadyTokensPerMinute = sampler.SteadyRate(deployments, PoolScenario.WindowSeconds),
        };

    /// <summary>Samples the simulator's admitted tokens per deployment, every 250 ms, from <see cref="Start"/> to <see cref="Stop"/>.</summary>
    private sealed class TokenSampler(SimulatorServer simulator, string[] deployments)
    {
        private readonly List<(double Seconds, Dictionary<string, long> Tokens)> _samples = [];
        private readonly Stopwatch _clock = new();
        private CancellationTokenSource? _stop;
        private Task _loop = Task.CompletedTask;

        public double Elapsed => _clock.Elapsed.TotalSeconds;

        public void Start()
        {
            _stop = new CancellationTokenSource();
            _clock.Restart();
            var token = _stop.Token;
            _loop = Task.Run(async () =>
            {
                while (!token.IsCancellationRequested)
                {
                    Take();
                    try
                    {
                        await Task.Delay(SampleEvery, token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            });
        }

        public void Stop()
        {
            _stop?.Cancel();
            _loop.GetAwaiter().GetResult();
            Take();
            _stop?.Dispose();
        }

        /// <summary>Tokens per minute of <paramref name="names"/> from the end of the first window to the last sample under 95 % of the total.</summary>
        public double SteadyRate(string[] names, int windowSeconds)
        {
            lock (_samples)
            {
                if (_samples.Count < 2)
                {
                    return 0;
                }

                var total = Sum(_samples[^1].Tokens, names);
                var from = _samples.FirstOrDefault(s => s.Seconds >= windowSeconds);
                var to = _samples.LastOrDefault(s => Sum(s.Tokens, names) <= 0.95 * total);
                if (from.Tokens is null || to.Tokens is null || to.Seconds <= from.Seconds)
                {
                    return total / Math.Max(_samples[^1].Seconds, 1e-9) * 60;
                }

                return (Sum(to.Tokens, names) - Sum(from.Tokens, names)) / (to.Seconds - from.Seconds) * 60;
            }
        }

        /// <summary>Tokens per minute of <paramref name="names"/> between two moments.</summary>
        public double Rate(string[] names, double start, double end)
        {
            lock (_samples)
            {
                var a = _samples.FirstOrDefault(s => s.Seconds >= start);
                var b = _samples.LastOrDefault(s => s.Seconds <= end);
                return a.Tokens is null || b.Tokens is null || b.Seconds <= a.Seconds ? 0 : (Sum(b.Tokens, names) - Sum(a.Tokens, names)) / (b.Seconds - a.Seconds) * 60;
            }
        }

        /// <summary>Each deployment's share of the tokens admitted.</summary>
        public IReadOnlyDictionary<string, double> Shares()
        {
            lock (_samples)
            {
                var last = _samples[^1].Tokens;
                var total = Math.Max(1, Sum(last, deployments));
                return deployments.ToDictionary(d => d, d => (double)last.GetValueOrDefault(d) / total);
            }
        }

        private static long Sum(Dictionary<string, long> tokens, string[] names) => names.Sum(n => tokens.GetValueOrDefault(n));

        private void Take()
        {
            var stats = simulator.DeploymentStats();
            var tokens = deployments.ToDictionary(d => d, d => stats.TryGetValue(d, out var s) ? s.TokensAdmitted : 0L);
            lock (_samples)
            {
                _samples.Add((_clock.Elapsed.TotalSeconds, tokens));
            }
        }
    }
}
