namespace Fanout.Core.Jsonl;

/// <summary>
/// The one read-only pass-through over a body: holds it to its limits as the bytes stream by (more than
/// <c>maxBytes</c> bytes, or more than <c>maxLines</c> non-blank lines, throws <see cref="BatchLimitExceededException"/>),
/// and turns the read errors that <c>translateError</c> knows (the server's own 413) into the exception it returns.
/// </summary>
/// <param name="inner">The body.</param>
/// <param name="maxBytes">Most bytes that may be read; <see cref="long.MaxValue"/> for no limit.</param>
/// <param name="maxLines">Most non-blank lines that may be read; <see cref="int.MaxValue"/> for no limit (nothing is scanned then).</param>
/// <param name="translateError">Maps an exception of the inner stream to the one to throw instead, or null to let it pass.</param>
public sealed class LimitedReadStream(Stream inner, long maxBytes = long.MaxValue, int maxLines = int.MaxValue, Func<Exception, Exception?>? translateError = null) : Stream
{
    private long _read;
    private long _lines;
    private bool _lineHasContent;

    /// <inheritdoc />
    public override bool CanRead => true;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => false;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <summary>Bytes read so far.</summary>
    public override long Position { get => _read; set => throw new NotSupportedException(); }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count)
    {
        int n;
        try
        {
            n = inner.Read(buffer, offset, count);
        }
        catch (Exception e) when (translateError?.Invoke(e) is { } translated)
        {
            throw translated;
        }

        return Count(buffer.AsSpan(offset, n));
    }

    /// <inheritdoc />
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n;
        try
        {
            n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (translateError?.Invoke(e) is { } translated)
        {
            throw translated;
        }

        return Count(buffer.Span[..n]);
    }

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Count(ReadOnlySpan<byte> data)
    {
        _read += data.Length;
        if (_read > maxBytes)
        {
            throw BatchLimitExceededException.TooLarge(maxBytes);
        }

        if (maxLines == int.MaxValue)
        {
            return data.Length;
        }

        foreach (var b in data)
        {
            if (b == (byte)'\n')
            {
                _lineHasContent = false;
            }
            else if (!_lineHasContent && b is not ((byte)' ' or (byte)'\r' or (byte)'\t'))
            {
                _lineHasContent = true;
                if (++_lines > maxLines)
                {
                    throw BatchLimitExceededException.TooManyLines(maxLines);
                }
            }
        }

        return data.Length;
    }
}
