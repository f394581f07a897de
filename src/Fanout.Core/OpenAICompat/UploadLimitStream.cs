using Fanout.Core.Jsonl;

namespace Fanout.Core.OpenAICompat;

/// <summary>
/// Read-only pass-through over an upload that enforces the batch limits as the bytes stream by: more than
/// <c>maxBytes</c> bytes or more than <c>maxLines</c> non-blank lines throws <see cref="BatchLimitExceededException"/>.
/// </summary>
internal sealed class UploadLimitStream(Stream inner, long maxBytes, int maxLines) : Stream
{
    private long _read;
    private long _lines;
    private bool _lineHasContent;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    /// <summary>Bytes read so far.</summary>
    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Count(buffer.AsSpan(offset, inner.Read(buffer, offset, count)));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Count(buffer.Span[..n]);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Count(ReadOnlySpan<byte> data)
    {
        _read += data.Length;
        if (_read > maxBytes)
        {
            throw BatchLimitExceededException.TooLarge(maxBytes);
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
