namespace Fanout.Bench.Runners;

/// <summary>
/// Event streams kept open on a batch while it runs (the <c>watchers</c> scenario of issue 22), each read to its end
/// as the web page and the CLI read them; closed by the caller when the batch is done.
/// </summary>
internal sealed class EventWatchers : IAsyncDisposable
{
    private readonly HttpClient http;
    private readonly CancellationTokenSource stop = new();
    private readonly List<Task> streams = [];
    private int events;

    private EventWatchers(string address)
    {
        http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue }) { BaseAddress = new Uri(address), Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Progress events received by all streams.</summary>
    public int Events => Volatile.Read(ref events);

    /// <summary>Opens <paramref name="count"/> streams on batch <paramref name="id"/>.</summary>
    public static EventWatchers Open(string address, string id, int count)
    {
        var watchers = new EventWatchers(address);
        for (var i = 0; i < count; i++)
        {
            watchers.streams.Add(watchers.ReadAsync(id));
        }

        return watchers;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(streams).ConfigureAwait(false);
        http.Dispose();
        stop.Dispose();
    }

    private async Task ReadAsync(string id)
    {
        try
        {
            using var response = await http.GetAsync($"/api/batches/{id}/events", HttpCompletionOption.ResponseHeadersRead, stop.Token).ConfigureAwait(false);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop.Token).ConfigureAwait(false));
            while (await reader.ReadLineAsync(stop.Token).ConfigureAwait(false) is { } line)
            {
                if (line.StartsWith("event: progress", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref events);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException)
        {
            // Closed at the end of the run.
        }
    }
}
