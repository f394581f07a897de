using System.Text.Json;

namespace Fanout.Cli.Commands;

/// <summary>
/// A write-only stream that cuts JSONL into lines, hands each whole line (with its newline) to a sink, and counts the
/// lines and the failed ones (<c>"error"</c> not null), so a download is streamed and still yields an exit code.
/// </summary>
internal sealed class OutputLineStream(Func<ReadOnlyMemory<byte>, Task> sink) : Stream
{
    private readonly MemoryStream _pending = new();

    public int Lines { get; private set; }

    public int Failed { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (buffer.Length > 0)
        {
            var nl = buffer.Span.IndexOf((byte)'\n');
            if (nl < 0)
            {
                _pending.Write(buffer.Span);
                return;
            }

            _pending.Write(buffer.Span[..(nl + 1)]);
            buffer = buffer[(nl + 1)..];
            await EmitAsync().ConfigureAwait(false);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Emits a last line that had no newline.</summary>
    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_pending.Length > 0)
        {
            await EmitAsync().ConfigureAwait(false);
        }
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>True when a JSONL output line has a non-null <c>error</c> (or is not an object at all).</summary>
    internal static bool IsFailed(ReadOnlySpan<byte> line)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            using var doc = JsonDocument.ParseValue(ref reader);
            return doc.RootElement.ValueKind != JsonValueKind.Object
                || (doc.RootElement.TryGetProperty("error", out var e) && e.ValueKind != JsonValueKind.Null);
        }
        catch (JsonException)
        {
            return true;
        }
    }

    private async Task EmitAsync()
    {
        var line = _pending.GetBuffer().AsMemory(0, (int)_pending.Length);
        if (line.Span.Trim("\r\n"u8).Length > 0)
        {
            Lines++;
            Failed += IsFailed(line.Span.TrimEnd("\r\n"u8)) ? 1 : 0;
            await sink(line.ToArray()).ConfigureAwait(false);
        }

        _pending.SetLength(0);
    }
}
