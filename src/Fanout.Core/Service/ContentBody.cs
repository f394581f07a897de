namespace Fanout.Core.Service;

/// <summary>
/// A body that is not a JSON value (a JSONL file, a blob): its media type and either an open stream or a writer.
/// A transport copies it to its response with <see cref="WriteToAsync"/> (or hands <see cref="Stream"/> to its own
/// stream result); whoever takes it disposes it.
/// </summary>
public sealed class ContentBody : IAsyncDisposable
{
    /// <summary>The media type of JSONL bodies.</summary>
    public const string JsonlContentType = "application/jsonl; charset=utf-8";

    private readonly Func<Stream, CancellationToken, Task>? _writer;

    private ContentBody(string contentType, Stream? stream, Func<Stream, CancellationToken, Task>? writer)
    {
        ContentType = contentType;
        Stream = stream;
        _writer = writer;
    }

    /// <summary>The media type, e.g. <see cref="JsonlContentType"/>.</summary>
    public string ContentType { get; }

    /// <summary>The open stream of a stream-backed body; null for a writer-backed one.</summary>
    public Stream? Stream { get; }

    /// <summary>A body read from <paramref name="stream"/>.</summary>
    public static ContentBody FromStream(Stream stream, string contentType = JsonlContentType)
        => new(contentType, stream ?? throw new ArgumentNullException(nameof(stream)), null);

    /// <summary>A body produced by <paramref name="writer"/> into the transport's stream (for content assembled while it is sent).</summary>
    public static ContentBody FromWriter(Func<Stream, CancellationToken, Task> writer, string contentType = JsonlContentType)
        => new(contentType, null, writer ?? throw new ArgumentNullException(nameof(writer)));

    /// <summary>Copies the body to <paramref name="destination"/>.</summary>
    public async Task WriteToAsync(Stream destination, CancellationToken cancellationToken)
    {
        if (Stream is not null)
        {
            await using (Stream.ConfigureAwait(false))
            {
                await Stream.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        await _writer!(destination, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => Stream?.DisposeAsync() ?? ValueTask.CompletedTask;
}
