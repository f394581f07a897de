using Fanout.Bench.Reporting;

namespace Fanout.Bench.Measuring;

/// <summary>The optional diagnostic counters (<c>--count-requests</c>, <c>--count-jit</c>), started and stopped around the measured part of a run.</summary>
internal sealed record RunProbes(RequestCounter? Requests, JitCounter? Jit)
{
    public void Start()
    {
        Requests?.Start();
        Jit?.Start();
    }

    public void StopInto(BenchRow row)
    {
        row.Requests = Requests?.Stop();
        row.JitCompiledByType = Jit?.Stop();
    }
}
