using Fanout.Bench.Scenarios;

namespace Fanout.Bench.Reporting;

/// <summary>One runner on one scenario: the measurements of a table row (the JSON report has every field).</summary>
internal sealed class BenchRow
{
    /// <summary>A row for <paramref name="runner"/> on <paramref name="scenario"/>, with the scenario's parameters filled in.</summary>
    public static BenchRow For(Scenario scenario, string runner) => new()
    {
        Scenario = scenario.Name,
        Runner = runner,
        N = scenario.Count,
        C = scenario.MaxConcurrency,
        LatencyMs = scenario.LatencyMs,
        IdealSeconds = scenario.Ideal.TotalSeconds,
        TokensPerMinute = scenario.TokensPerMinute,
        QuotaWindowSeconds = scenario.QuotaWindowSeconds,
    };

    public required string Scenario { get; init; }

    /// <summary><c>baseline</c>, <c>fanout-azurestorage</c> or <c>fanout-memory</c>.</summary>
    public required string Runner { get; init; }

    public required int N { get; init; }

    public required int C { get; init; }

    public required int LatencyMs { get; init; }

    /// <summary>ceil(N/C)·L.</summary>
    public required double IdealSeconds { get; init; }

    /// <summary>Submit → ordered output committed (baseline: first call started → last call answered).</summary>
    public double WallSeconds { get; set; }

    /// <summary>Ideal / wall; null when L = 0.</summary>
    public double? Efficiency => LatencyMs == 0 || WallSeconds <= 0 ? null : IdealSeconds / WallSeconds;

    /// <summary>Wall / the baseline's wall in the same scenario.</summary>
    public double? RatioToBaseline { get; set; }

    public double PromptsPerSecond => WallSeconds <= 0 ? 0 : N / WallSeconds;

    /// <summary>Largest working set of the bench process (simulator + runner + in-process host) sampled during the run.</summary>
    public double PeakRssMb { get; set; }

    public double AzuritePeakRssMb { get; set; }

    /// <summary>CPU seconds of the bench process during the run.</summary>
    public double CpuSeconds { get; set; }

    public double AzuriteCpuSeconds { get; set; }

    /// <summary>
    /// CPU milliseconds per prompt of the bench process (the in-process host or baseline client, plus the simulator
    /// they call), measured over the same run as <see cref="StorageCpuMsPerPrompt"/>.
    /// </summary>
    public double HostCpuMsPerPrompt => N <= 0 ? 0 : CpuSeconds * 1000 / N;

    /// <summary>CPU milliseconds per prompt of the storage process (Azurite) during the run.</summary>
    public double StorageCpuMsPerPrompt => N <= 0 ? 0 : AzuriteCpuSeconds * 1000 / N;

    /// <summary>Host plus storage CPU milliseconds per prompt (contract.md, "Measuring cost per prompt").</summary>
    public double CpuMsPerPrompt => HostCpuMsPerPrompt + StorageCpuMsPerPrompt;

    /// <summary>CPU seconds used by every other process on the machine during the run: noise when large.</summary>
    public double? OtherCpuSeconds { get; set; }

    /// <summary>Megabytes this process allocated during the run.</summary>
    public double AllocatedMb { get; set; }

    /// <summary>Seconds this process was paused for garbage collection during the run.</summary>
    public double GcPauseSeconds { get; set; }

    /// <summary>Garbage collections (all generations) during the run.</summary>
    public int GcCount { get; set; }

    /// <summary>Gen 2 collections during the run.</summary>
    public int Gen2Count { get; set; }

    /// <summary>The machine's 1-minute load average when the run started.</summary>
    public double? LoadAverageAtStart { get; set; }

    /// <summary>Most chat-completion requests the simulator served at once.</summary>
    public int SimulatorPeakConcurrency { get; set; }

    /// <summary>Requests the simulator received (first attempts and retries).</summary>
    public long SimulatorRequests { get; set; }

    /// <summary>429s the simulator sent.</summary>
    public long RateLimited { get; set; }

    /// <summary>Requests beyond one per prompt: every retry, whether the SDK or a durable timer made it.</summary>
    public long Retries => Math.Max(0, SimulatorRequests - N);

    /// <summary>200s for a prompt that had already had a 200 (duplicate executions).</summary>
    public long DuplicatePrompts { get; set; }

    /// <summary>5xx answers the simulator injected (fault scenario).</summary>
    public long Injected5xx { get; set; }

    /// <summary>Calls the simulator left hanging until the client's timeout (fault scenario).</summary>
    public long InjectedHangs { get; set; }

    /// <summary>Output lines that carry the simulator's answer to their own prompt.</summary>
    public int Succeeded { get; set; }

    /// <summary>Output lines with an error (or, for the baseline, calls that threw).</summary>
    public int Failed { get; set; }

    /// <summary>N lines, in input order, each a success matching its prompt or an error line.</summary>
    public bool Verified { get; set; }

    /// <summary>The first output line with an error (its index and error object), when a line failed.</summary>
    public string? FirstError { get; set; }

    /// <summary>What went wrong, when something did.</summary>
    public string? Problem { get; set; }

    public long TokensAdmitted { get; set; }

    public long TokensPerMinute { get; init; }

    public int QuotaWindowSeconds { get; init; }

    /// <summary>
    /// Tokens admitted ÷ the quota the run could use: TPM/60 per second of wall, plus one window's worth that the sliding
    /// window admits at once at the start. Null without a quota.
    /// </summary>
    public double? QuotaUtilisation => TokensPerMinute <= 0 || WallSeconds <= 0
        ? null
        : TokensAdmitted / (TokensPerMinute / 60.0 * (WallSeconds + QuotaWindowSeconds));

    /// <summary>Tokens admitted per minute of wall ÷ TPM (issue 5's definition; above 1 when the first window's burst is a large part of the run).</summary>
    public double? TokensPerMinuteOverTpm => TokensPerMinute <= 0 || WallSeconds <= 0
        ? null
        : TokensAdmitted / (WallSeconds / 60.0) / TokensPerMinute;

    /// <summary>Prompts/s ÷ half the raw queue lifecycle rate (durable backend, L = 0 rows).</summary>
    public double? StorageLimitFraction { get; set; }

    /// <summary>Seconds until <c>POST /api/batches</c> answered (input validated and stored, orchestration scheduled).</summary>
    public double? SubmitSeconds { get; set; }

    /// <summary>Seconds until a poll first showed a finished line (null when the first poll already showed the batch done).</summary>
    public double? FirstResultSeconds { get; set; }

    /// <summary>Seconds until a poll first showed every line finished; wall minus this is the commit of the ordered output (within one poll interval).</summary>
    public double? AllDoneSeconds { get; set; }

    /// <summary>Host start-up plus warm-up batch (not part of wall).</summary>
    public double? StartupSeconds { get; set; }

    public string? BatchId { get; set; }

    /// <summary>With <c>--count-requests</c>: HTTP requests of this process during the run, by kind.</summary>
    public IReadOnlyDictionary<string, long>? Requests { get; set; }

    /// <summary>
    /// C ÷ prompts/s − L, in ms: how long after a call ends its slot stays empty before the next call starts (on average),
    /// when the cap is what limits the run (not a quota).
    /// </summary>
    public double? SlotTurnaroundMs => PromptsPerSecond <= 0 || TokensPerMinute > 0 ? null : (C * 1000.0 / PromptsPerSecond) - LatencyMs;

    /// <summary>With <c>--count-jit</c>: methods JIT-compiled during the measured run, by declaring type.</summary>
    public IReadOnlyDictionary<string, long>? JitCompiledByType { get; set; }

    /// <summary>With <c>--count-requests</c>: blob + queue + table requests per prompt.</summary>
    public double? StorageRequestsPerPrompt => Requests is null
        ? null
        : (double)Requests.Where(p => p.Key.StartsWith("blob ", StringComparison.Ordinal) || p.Key.StartsWith("queue ", StringComparison.Ordinal) || p.Key.StartsWith("table ", StringComparison.Ordinal)).Sum(p => p.Value) / N;

    /// <summary>The batch's final status (Fanout runners).</summary>
    public string? Status { get; set; }
}
