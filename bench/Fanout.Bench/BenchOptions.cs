using System.Globalization;

namespace Fanout.Bench;

/// <summary>The command line of the bench, parsed by hand.</summary>
internal sealed class BenchOptions
{
    public const string Usage = """
        Usage: dotnet run -c Release --project bench/Fanout.Bench -- [options] [--Fanout:Section:Key=value ...]

          --quick                  the reduced scenario set (under 2 minutes)
          --scenario NAME[,NAME]   run only these scenarios (from either set, or ad hoc: n<N>-c<C>-l<L ms>); also the
                                   pool scenarios (pool, pool-uneven, pool-outage) and the cache scenarios (rerun-90,
                                   dupes, or at another size: rerun-90-n2000, dupes-n1000) and the deadline scenarios
                                   (deadline-cheap, deadline-tight, or deadline-cheap-n500)
          --backend B              azurestorage | memory | both (default both)
          --no-baseline            skip the SemaphoreSlim baseline rows
          --no-storage-probe       skip the raw Azurite queue/table/blob measurement
          --probe-seconds S        length of each storage probe (default 5, 2 with --quick)
          --out PATH               JSON report path (default bench/results/latest.json)
          --warmup N               prompts in each runner's unmeasured warm-up batch (default 200)
          --count-requests         count this process's HTTP requests per prompt (storage, gRPC), slightly perturbing
          --count-jit              count the methods JIT-compiled during each run, by type (diagnostic)
          --list                   list the scenarios and exit
          --Fanout:...=value       configuration overrides for the Fanout host (e.g. --Fanout:Durable:PartitionCount=4)
        """;

    public bool Quick { get; private set; }

    public bool List { get; private set; }

    public bool Help { get; private set; }

    public List<string> Scenarios { get; } = [];

    public bool RunAzureStorage { get; private set; } = true;

    public bool RunMemory { get; private set; } = true;

    public bool Baseline { get; private set; } = true;

    public bool StorageProbe { get; private set; } = true;

    public bool CountRequests { get; private set; }

    public int WarmUp { get; private set; } = 200;

    public bool CountJit { get; private set; }

    public TimeSpan? ProbeDuration { get; private set; }

    public string? OutputPath { get; private set; }

    /// <summary>Configuration overrides passed to every Fanout host, as command-line arguments.</summary>
    public List<string> HostOverrides { get; } = [];

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var o = new BenchOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{arg} needs a value.");
            switch (arg)
            {
                case "--quick":
                    o.Quick = true;
                    break;
                case "--list":
                    o.List = true;
                    break;
                case "-h" or "--help" or "-?":
                    o.Help = true;
                    break;
                case "--scenario":
                    o.Scenarios.AddRange(Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    break;
                case "--backend":
                    var backend = Value().ToLowerInvariant();
                    (o.RunAzureStorage, o.RunMemory) = backend switch
                    {
                        "azurestorage" or "azure-storage" => (true, false),
                        "memory" => (false, true),
                        "both" => (true, true),
                        _ => throw new ArgumentException($"--backend must be azurestorage, memory or both, not '{backend}'."),
                    };
                    break;
                case "--no-baseline":
                    o.Baseline = false;
                    break;
                case "--warmup":
                    var warm = Value();
                    o.WarmUp = int.TryParse(warm, NumberStyles.Integer, CultureInfo.InvariantCulture, out var w) && w >= 0
                        ? w
                        : throw new ArgumentException($"--warmup must be a whole number, not '{warm}'.");
                    break;
                case "--count-jit":
                    o.CountJit = true;
                    break;
                case "--count-requests":
                    o.CountRequests = true;
                    break;
                case "--no-storage-probe":
                    o.StorageProbe = false;
                    break;
                case "--probe-seconds":
                    var text = Value();
                    o.ProbeDuration = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
                        ? TimeSpan.FromSeconds(seconds)
                        : throw new ArgumentException($"--probe-seconds must be a positive number, not '{text}'.");
                    break;
                case "--out":
                    o.OutputPath = Value();
                    break;
                case var a when a.StartsWith("--", StringComparison.Ordinal) && a.Contains(':', StringComparison.Ordinal):
                    // A configuration key (they all contain ':'); "--Key value" is joined into "--Key=value".
                    o.HostOverrides.Add(a.Contains('=', StringComparison.Ordinal) ? a : $"{a}={Value()}");
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{arg}'.");
            }
        }

        return o;
    }
}
