using System.Collections.Concurrent;

namespace Fanout.Bench.Measuring;

/// <summary>Counts by name between <see cref="Start"/> and <see cref="Stop"/>; what the diagnostic counters share.</summary>
internal sealed class NamedCounts
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private volatile bool _active;

    /// <summary>Whether counting is on.</summary>
    public bool Active => _active;

    /// <summary>Zeroes the counts and starts counting.</summary>
    public void Start()
    {
        _counts.Clear();
        _active = true;
    }

    /// <summary>Stops counting and returns the counts, largest first.</summary>
    public IReadOnlyDictionary<string, long> Stop()
    {
        _active = false;
        return _counts.OrderByDescending(p => p.Value).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
    }

    /// <summary>Counts one <paramref name="name"/>.</summary>
    public void Add(string name) => _counts.AddOrUpdate(name, 1, static (_, n) => n + 1);
}
