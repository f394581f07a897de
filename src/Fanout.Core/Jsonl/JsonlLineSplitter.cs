using System.Buffers;

namespace Fanout.Core.Jsonl;

/// <summary>
/// Splits a stream into lines on <c>\n</c> (stripping one trailing <c>\r</c> and a leading UTF-8 BOM) through one pooled
/// buffer of about <c>maxLineBytes</c>, so memory stays bounded whatever the stream holds: a line longer than the limit
/// is skipped chunk by chunk up to its line break instead of being buffered.
/// </summary>
internal sealed class JsonlLineSplitter : IDisposable
{
    private const int MinBufferSize = 64 * 1024;
    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    private static readonly SearchValues<byte> Whitespace = SearchValues.Create(" \t\r\f\v"u8);

    private readonly Stream input;
    private readonly int maxLineBytes;
    private readonly long maxTotalBytes;
    private byte[] buffer;

    // buffer[start..end) holds bytes read but not yet returned; no '\n' in buffer[start..scanFrom).
    private int start;
    private int end;
    private int scanFrom;
    private int lineStart;
    private int lineLength;
    private long totalBytes;
    private bool eof;
    private bool bomChecked;

    public JsonlLineSplitter(Stream input, int maxLineBytes, long maxTotalBytes)
    {
        this.input = input;
        this.maxLineBytes = maxLineBytes;
        this.maxTotalBytes = maxTotalBytes;

        // Room for a full line plus its '\r' and one more byte, so a line at the limit can always be read whole.
        buffer = ArrayPool<byte>.Shared.Rent(Math.Max(maxLineBytes + 2, MinBufferSize));
    }

    /// <summary>The line found by the last <see cref="ReadLineAsync"/> that returned <see cref="JsonlLineKind.Line"/>; valid until the next call.</summary>
    public ReadOnlySpan<byte> Current => buffer.AsSpan(lineStart, lineLength);

    /// <summary>Advances to the next line; throws <see cref="BatchLimitExceededException"/> once the stream exceeds the byte limit.</summary>
    public async ValueTask<JsonlLineKind> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (!bomChecked)
            {
                if (end - start < 3 && !eof)
                {
                    await FillAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (buffer.AsSpan(start, end - start).StartsWith(Utf8Bom))
                {
                    start += 3;
                    scanFrom = start;
                }

                bomChecked = true;
            }

            var newline = buffer.AsSpan(scanFrom, end - scanFrom).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                return Take(scanFrom + newline, 1);
            }

            scanFrom = end;
            if (eof)
            {
                return start == end ? JsonlLineKind.End : Take(end, 0);
            }

            if (end - start > maxLineBytes + 1)
            {
                return await SkipLongLineAsync(cancellationToken).ConfigureAwait(false);
            }

            Compact();
            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        var rented = buffer;
        buffer = [];
        if (rented.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private JsonlLineKind Take(int lineEnd, int separatorLength)
    {
        lineStart = start;
        lineLength = lineEnd - start;
        start = lineEnd + separatorLength;
        scanFrom = start;
        if (lineLength > 0 && buffer[lineStart + lineLength - 1] == (byte)'\r')
        {
            lineLength--;
        }

        var line = buffer.AsSpan(lineStart, lineLength);
        if (line.IndexOfAnyExcept(Whitespace) < 0)
        {
            return JsonlLineKind.Blank;
        }

        return lineLength > maxLineBytes ? JsonlLineKind.TooLarge : JsonlLineKind.Line;
    }

    private async ValueTask<JsonlLineKind> SkipLongLineAsync(CancellationToken cancellationToken)
    {
        // Only whether the line is blank matters now; its bytes are dropped as they are scanned.
        var nonBlank = buffer.AsSpan(start, end - start).IndexOfAnyExcept(Whitespace) >= 0;
        start = end = scanFrom = 0;
        lineStart = lineLength = 0;
        while (true)
        {
            await FillAsync(cancellationToken).ConfigureAwait(false);
            if (eof)
            {
                break;
            }

            var chunk = buffer.AsSpan(0, end);
            var newline = chunk.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                nonBlank |= chunk[..newline].IndexOfAnyExcept(Whitespace) >= 0;
                start = scanFrom = newline + 1;
                break;
            }

            nonBlank |= chunk.IndexOfAnyExcept(Whitespace) >= 0;
            end = 0;
        }

        return nonBlank ? JsonlLineKind.TooLarge : JsonlLineKind.Blank;
    }

    private void Compact()
    {
        if (start == 0)
        {
            return;
        }

        var pending = end - start;
        buffer.AsSpan(start, pending).CopyTo(buffer);
        scanFrom -= start;
        start = 0;
        end = pending;
    }

    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        if (end == buffer.Length)
        {
            Compact();
        }

        var read = await input.ReadAsync(buffer.AsMemory(end), cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            eof = true;
            return;
        }

        end += read;
        totalBytes += read;
        if (totalBytes > maxTotalBytes)
        {
            throw BatchLimitExceededException.TooLarge(maxTotalBytes);
        }
    }
}
