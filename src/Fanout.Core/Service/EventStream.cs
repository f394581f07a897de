namespace Fanout.Core.Service;

/// <summary>A live stream: its events and how long a reconnecting client should wait (SSE <c>retry:</c>).</summary>
/// <typeparam name="T">The type of the events' data.</typeparam>
/// <param name="Events">The events, ending when nothing more will come.</param>
/// <param name="ReconnectAfter">The reconnection delay to advise.</param>
public sealed record EventStream<T>(IAsyncEnumerable<ServiceEvent<T>> Events, TimeSpan ReconnectAfter)
    where T : class;
