namespace Fanout.Tests.Jsonl;

/// <summary>Wraps bytes and returns at most <c>chunkSize</c> of them per read, like a network stream, to hit buffer edges.</summary>
internal sealed class ChunkedStream(byte[] data, int chunkSize) : Stream
{
    private int position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = Math.Min(Math.Min(chunkSize, buffer.Length), data.Length - position);
        data.AsSpan(position, n).CopyTo(buffer);
        position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new ValueTask<int>(Read(buffer.Span));
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>
/// Produces a large input on the fly (runs of one byte value and literal pieces) so a test can feed tens of megabytes
/// without holding them; reads complete synchronously, so allocation can be measured on the test's thread.
/// </summary>
internal sealed class SyntheticStream : Stream
{
    private readonly Queue<(byte[]? Literal, byte Filler, long Count)> parts = new();
    private long offsetInPart;

    public SyntheticStream Fill(byte value, long count)
    {
        parts.Enqueue((null, value, count));
        return this;
    }

    public SyntheticStream Append(byte[] literal)
    {
        parts.Enqueue((literal, 0, literal.Length));
        return this;
    }

    public long BytesRead { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var written = 0;
        while (written < buffer.Length && parts.TryPeek(out var part))
        {
            var n = (int)Math.Min(buffer.Length - written, part.Count - offsetInPart);
            if (part.Literal is { } literal)
            {
                literal.AsSpan((int)offsetInPart, n).CopyTo(buffer[written..]);
            }
            else
            {
                buffer.Slice(written, n).Fill(part.Filler);
            }

            written += n;
            offsetInPart += n;
            if (offsetInPart == part.Count)
            {
                parts.Dequeue();
                offsetInPart = 0;
            }
        }

        BytesRead += written;
        return written;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        new(Read(buffer.Span));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
