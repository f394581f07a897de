using System.Diagnostics;

namespace Fanout.Bench.Measuring;

/// <summary>What one run used: peak working sets (sampled) and CPU time, of this process and of Azurite.</summary>
/// <param name="PeakWorkingSetBytes">Largest <see cref="Environment.WorkingSet"/> of this process seen during the run.</param>
/// <param name="CpuTime">CPU time this process used during the run.</param>
/// <param name="AzuritePeakWorkingSetBytes">Largest working set of the Azurite process seen during the run.</param>
/// <param name="AzuriteCpuTime">CPU time Azurite used during the run.</param>
/// <param name="OtherCpuSeconds">CPU seconds the rest of the machine used during the run (noise), when known.</param>
/// <param name="AllocatedBytes">Bytes this process allocated during the run.</param>
/// <param name="GcPause">Time this process was paused for garbage collection during the run.</param>
/// <param name="Gen0">Gen 0 collections (gen 1 and 2 included) during the run.</param>
/// <param name="Gen2">Gen 2 collections during the run.</param>
internal sealed record ResourceUsage(
    long PeakWorkingSetBytes, TimeSpan CpuTime, long AzuritePeakWorkingSetBytes, TimeSpan AzuriteCpuTime, double? OtherCpuSeconds,
    long AllocatedBytes, TimeSpan GcPause, int Gen0, int Gen2);

/// <summary>
/// Samples the working set of this process (which hosts the simulator, the baseline and the Fanout host) and of Azurite
/// every 50 ms while a run lasts. <see cref="Process.PeakWorkingSet64"/> cannot be reset between runs, hence sampling.
/// </summary>
internal sealed class ResourceSampler : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    private readonly Process? _azurite;
    private readonly TimeSpan _cpuStart;
    private readonly TimeSpan _azuriteCpuStart;
    private readonly double? _systemStart;
    private readonly long _allocatedStart = GC.GetTotalAllocatedBytes(precise: true);
    private readonly TimeSpan _pauseStart = GC.GetTotalPauseDuration();
    private readonly int _gen0Start = GC.CollectionCount(0);
    private readonly int _gen2Start = GC.CollectionCount(2);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _peak;
    private long _azuritePeak;
    private ResourceUsage? _result;

    private ResourceSampler(int? azuritePid)
    {
        if (azuritePid is { } pid)
        {
            try
            {
                _azurite = Process.GetProcessById(pid);
                _azuriteCpuStart = _azurite.TotalProcessorTime;
            }
            catch (ArgumentException)
            {
                _azurite = null;
            }
        }

        _cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        _systemStart = SystemCpu.BusySeconds();
        Sample();
        _loop = LoopAsync();
    }

    /// <summary>Collects garbage (so one run's leftovers do not count against the next), then starts sampling.</summary>
    public static ResourceSampler Start(int? azuritePid)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return new ResourceSampler(azuritePid);
    }

    /// <summary>Stops sampling and returns the peaks and CPU times.</summary>
    public async Task<ResourceUsage> StopAsync()
    {
        if (_result is not null)
        {
            return _result;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        Sample();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - _cpuStart;
        var azuriteCpu = TimeSpan.Zero;
        if (_azurite is not null)
        {
            try
            {
                _azurite.Refresh();
                azuriteCpu = _azurite.TotalProcessorTime - _azuriteCpuStart;
            }
            catch (InvalidOperationException)
            {
                // Azurite exited; its CPU time is unknown.
            }
        }

        var system = SystemCpu.BusySeconds() - _systemStart;
        var other = system is { } busy ? Math.Max(0, busy - cpu.TotalSeconds - azuriteCpu.TotalSeconds) : (double?)null;
        _result = new ResourceUsage(
            Interlocked.Read(ref _peak), cpu, Interlocked.Read(ref _azuritePeak), azuriteCpu, other,
            GC.GetTotalAllocatedBytes(precise: true) - _allocatedStart, GC.GetTotalPauseDuration() - _pauseStart,
            GC.CollectionCount(0) - _gen0Start, GC.CollectionCount(2) - _gen2Start);
        return _result;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
        _azurite?.Dispose();
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                Sample();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Sample()
    {
        Raise(ref _peak, Environment.WorkingSet);
        if (_azurite is not null)
        {
            try
            {
                _azurite.Refresh();
                Raise(ref _azuritePeak, _azurite.WorkingSet64);
            }
            catch (InvalidOperationException)
            {
            }
        }
    }

    private static void Raise(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
