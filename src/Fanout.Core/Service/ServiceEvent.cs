namespace Fanout.Core.Service;

/// <summary>
/// One item of a live stream a service returns as <see cref="IAsyncEnumerable{T}"/>: a named event carrying
/// <see cref="Data"/>, or (with no data) a keep-alive the transport writes as a comment.
/// </summary>
/// <typeparam name="T">The type of the data.</typeparam>
/// <param name="Name">The event's name (SSE <c>event:</c>); null for a keep-alive.</param>
/// <param name="Data">The event's data; null for a keep-alive.</param>
public sealed record ServiceEvent<T>(string? Name, T? Data)
    where T : class
{
    /// <summary>A keep-alive: nothing happened, the stream is still open.</summary>
    public static ServiceEvent<T> KeepAlive { get; } = new(null, null);

    /// <summary>True for a keep-alive.</summary>
    public bool IsKeepAlive => Data is null;
}
