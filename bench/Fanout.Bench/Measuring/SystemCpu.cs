using System.Globalization;

namespace Fanout.Bench.Measuring;

/// <summary>
/// CPU time spent by the whole machine (Linux <c>/proc/stat</c>), to see how much of a run's CPU went to other
/// processes: on a shared 2-core machine that is the main source of noise.
/// </summary>
internal static class SystemCpu
{
    // USER_HZ is 100 on every mainstream Linux build.
    private const double TicksPerSecond = 100;

    /// <summary>Busy CPU seconds of all cores since boot, or null where /proc/stat is unavailable.</summary>
    public static double? BusySeconds()
    {
        try
        {
            using var reader = new StreamReader("/proc/stat");
            var first = reader.ReadLine();
            if (first is null || !first.StartsWith("cpu ", StringComparison.Ordinal))
            {
                return null;
            }

            // cpu user nice system idle iowait irq softirq steal ...
            var fields = first.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long busy = 0;
            for (var i = 1; i < fields.Length && i <= 8; i++)
            {
                if (i is 4 or 5)
                {
                    continue;
                }

                busy += long.Parse(fields[i], CultureInfo.InvariantCulture);
            }

            return busy / TicksPerSecond;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>The 1-minute load average, or null.</summary>
    public static double? LoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
