using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fanout.Bench.Storage;

namespace Fanout.Bench.Reporting;

/// <summary>Where and how the bench ran.</summary>
internal sealed record MachineInfo(int ProcessorCount, string OperatingSystem, string Runtime, double TotalMemoryGb, bool ServerGc, string MachineName)
{
    public static MachineInfo Current() => new(
        Environment.ProcessorCount,
        System.Runtime.InteropServices.RuntimeInformation.OSDescription,
        System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
        Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1024.0 / 1024 / 1024, 1),
        System.Runtime.GCSettings.IsServerGC,
        Environment.MachineName);
}

/// <summary>The whole run: machine, options, storage limit and rows; printed as Markdown and saved as JSON.</summary>
internal sealed class BenchReport
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset FinishedAt { get; set; }

    public required MachineInfo Machine { get; init; }

    public required IReadOnlyList<string> Arguments { get; init; }

    public required IReadOnlyList<string> HostOverrides { get; init; }

    public StorageProbeResult? Storage { get; set; }

    public List<BenchRow> Rows { get; } = [];

    /// <summary><see cref="System.Diagnostics.Process.PeakWorkingSet64"/> of the bench process over the whole run.</summary>
    public double ProcessPeakWorkingSetMb { get; set; }

    /// <summary>Fills in the ratios to the baseline and the storage-limit fractions.</summary>
    public void Complete()
    {
        foreach (var row in Rows)
        {
            var baseline = Rows.FirstOrDefault(r => r.Scenario == row.Scenario && r.Runner == RunnerNames.Baseline);
            row.RatioToBaseline = baseline is { WallSeconds: > 0 } && row.WallSeconds > 0 ? row.WallSeconds / baseline.WallSeconds : null;
            if (Storage is { QueueLifecyclesPerSecond: > 0 } storage && row.LatencyMs == 0 && row.Runner == RunnerNames.FanoutAzureStorage)
            {
                row.StorageLimitFraction = row.PromptsPerSecond / (storage.QueueLifecyclesPerSecond / 2);
            }
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public string ToMarkdown()
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(ci, $"Fanout bench, {StartedAt:yyyy-MM-dd HH:mm} UTC, {Machine.ProcessorCount} cores, {Machine.TotalMemoryGb} GB, {Machine.Runtime}, {Machine.OperatingSystem}");
        if (HostOverrides.Count > 0)
        {
            sb.AppendLine(ci, $"Host overrides: `{string.Join(' ', HostOverrides)}`");
        }

        sb.AppendLine();
        sb.AppendLine("| scenario | runner | N | C | L | ideal | wall | efficiency | × baseline | prompts/s | peak RSS | sim peak conc. | 429s | retries | failed | CPU ms/prompt (host + storage) | notes |");
        sb.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|");
        foreach (var r in Rows)
        {
            sb.AppendLine(ci, $"| {r.Scenario} | {r.Runner} | {r.N} | {r.C} | {Latency(r.LatencyMs)} | {Seconds(r.IdealSeconds)} | {Seconds(r.WallSeconds)} | {Percent(r.Efficiency)} | {Ratio(r.RatioToBaseline)} | {r.PromptsPerSecond.ToString("0.#", ci)} | {r.PeakRssMb.ToString("0", ci)} MB | {r.SimulatorPeakConcurrency} | {r.RateLimited} | {r.Retries} | {r.Failed} | {r.CpuMsPerPrompt.ToString("0.00", ci)} ({r.HostCpuMsPerPrompt.ToString("0.00", ci)} + {r.StorageCpuMsPerPrompt.ToString("0.00", ci)}) | {Notes(r)} |");
        }

        if (Storage is { } s)
        {
            sb.AppendLine();
            sb.AppendLine(ci, $"Storage limit (same Azurite, {s.Clients} concurrent clients, {s.DurationSeconds.ToString("0.#", ci)} s each): " +
                $"{s.QueueLifecyclesPerSecond.ToString("0", ci)} queue message lifecycles/s (send + receive + delete) → " +
                $"ceiling ≈ {(s.QueueLifecyclesPerSecond / 2).ToString("0", ci)} prompts/s at two lifecycles per prompt; " +
                $"{s.TableUpsertsPerSecond.ToString("0", ci)} table upserts/s; {s.BlobUploadsPerSecond.ToString("0", ci)} 1 KB blob uploads/s " +
                $"(other processes used {s.OtherCpuSeconds?.ToString("0.0", ci) ?? "?"} CPU s meanwhile).");
        }

        return sb.ToString();
    }

    private static string Notes(BenchRow r)
    {
        var ci = CultureInfo.InvariantCulture;
        var notes = new List<string>();
        if (r.Problem is not null)
        {
            notes.Add("**" + r.Problem + "**");
        }
        else if (!r.Verified)
        {
            notes.Add("**output not verified**");
        }

        if (r.QuotaUtilisation is { } q)
        {
            notes.Add(string.Create(ci, $"quota use {q:P0} (tokens/min ÷ TPM {r.TokensPerMinuteOverTpm:P0})"));
        }

        if (r.FirstError is not null && r.Injected5xx + r.InjectedHangs == 0)
        {
            notes.Add("first failed line: " + r.FirstError.Replace("|", "\\|", StringComparison.Ordinal));
        }

        if (r.Injected5xx + r.InjectedHangs > 0)
        {
            notes.Add(string.Create(ci, $"faults injected: {r.Injected5xx} × 500, {r.InjectedHangs} hangs; completed {r.Succeeded}/{r.N} lines, {r.Failed} failed"));
        }

        if (r.StorageLimitFraction is { } f)
        {
            notes.Add(string.Create(ci, $"{f:P0} of storage limit"));
        }

        if (r.StorageRequestsPerPrompt is { } perPrompt)
        {
            notes.Add(string.Create(ci, $"{perPrompt:0.0} storage requests/prompt"));
        }

        if (r.DuplicatePrompts > 0)
        {
            notes.Add(string.Create(ci, $"{r.DuplicatePrompts} duplicate calls"));
        }

        notes.Add(string.Create(ci, $"CPU s: bench {r.CpuSeconds:0.0}, Azurite {r.AzuriteCpuSeconds:0.0}, other {r.OtherCpuSeconds:0.0}"));

        return string.Join("; ", notes);
    }

    private static string Latency(int ms) => ms >= 1000 && ms % 1000 == 0
        ? string.Create(CultureInfo.InvariantCulture, $"{ms / 1000} s")
        : string.Create(CultureInfo.InvariantCulture, $"{ms} ms");

    private static string Seconds(double s) => string.Create(CultureInfo.InvariantCulture, $"{s:0.00} s");

    private static string Percent(double? p) => p is { } v ? string.Create(CultureInfo.InvariantCulture, $"{v:P0}") : "n/a";

    private static string Ratio(double? r) => r is { } v ? string.Create(CultureInfo.InvariantCulture, $"{v:0.00}×") : "–";
}

/// <summary>Names of the runners, as they appear in the table.</summary>
internal static class RunnerNames
{
    public const string Baseline = "baseline";
    public const string FanoutAzureStorage = "fanout-azurestorage";
    public const string FanoutMemory = "fanout-memory";
}
