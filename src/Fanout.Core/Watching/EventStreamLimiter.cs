using Fanout.Core.Options;
using Fanout.Core.Service;
using Microsoft.Extensions.Options;

namespace Fanout.Core.Watching;

/// <summary>
/// Bounds the open event streams per key and per host (<c>Fanout:Host:MaxEventStreams</c>): a stream takes a slot when
/// it opens and gives it back when it ends; beyond the bound, 429 with <c>Retry-After</c>.
/// </summary>
public sealed class EventStreamLimiter(IOptions<EventStreamOptions> options)
{
    /// <summary>When a refused watcher may try again (or poll <c>GET /api/batches/{id}</c> meanwhile).</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    private readonly Dictionary<string, int> perKey = new(StringComparer.Ordinal);
    private readonly Lock gate = new();
    private int open;

    /// <summary>Streams open now.</summary>
    public int Open
    {
        get
        {
            lock (gate)
            {
                return open;
            }
        }
    }

    /// <summary>A slot for one stream of the caller who presented <paramref name="key"/> (empty: none), or the 429.</summary>
    public ServiceResult<IDisposable> TryOpen(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var max = options.Value.MaxEventStreams;
        lock (gate)
        {
            var mine = perKey.GetValueOrDefault(key);
            if (open >= max || mine >= max)
            {
                return new ServiceError(
                    ErrorKind.RateLimited,
                    "too_many_event_streams",
                    $"{max} event streams are open (Fanout:Host:MaxEventStreams); close one, poll GET /api/batches/{{id}}, or come back after the Retry-After delay.",
                    RetryAfter);
            }

            open++;
            perKey[key] = mine + 1;
        }

        return new Slot(this, key);
    }

    private void Close(string key)
    {
        lock (gate)
        {
            open--;
            if (--perKey[key] == 0)
            {
                perKey.Remove(key);
            }
        }
    }

    private sealed class Slot(EventStreamLimiter limiter, string key) : IDisposable
    {
        private int closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref closed, 1) == 0)
            {
                limiter.Close(key);
            }
        }
    }
}
