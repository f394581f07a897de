using System.Buffers;
using System.IO.Pipelines;
using Fanout.Core.Storage;

namespace Fanout.Core.OpenAICompat;

/// <summary>Copies the lines of a batch's ordered output that are answers, not error records (the output file's bytes).</summary>
internal static class SuccessLines
{
    /// <summary>Copies the lines of <paramref name="source"/> that are not error lines, byte for byte.</summary>
    public static async Task CopyAsync(Stream source, Stream target, CancellationToken cancellationToken)
    {
        var reader = PipeReader.Create(source, new StreamPipeReaderOptions(bufferSize: 256 * 1024, leaveOpen: true));
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = read.Buffer;
            while (buffer.PositionOf((byte)'\n') is { } end)
            {
                var line = buffer.Slice(0, buffer.GetPosition(1, end));
                await CopyIfAnswerAsync(line, target, cancellationToken).ConfigureAwait(false);
                buffer = buffer.Slice(line.End);
            }

            if (read.IsCompleted)
            {
                if (!buffer.IsEmpty)
                {
                    await CopyIfAnswerAsync(buffer, target, cancellationToken).ConfigureAwait(false);
                }

                break;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }

        await reader.CompleteAsync().ConfigureAwait(false);
    }

    private static async Task CopyIfAnswerAsync(ReadOnlySequence<byte> line, Stream target, CancellationToken cancellationToken)
    {
        var bytes = line.IsSingleSegment ? line.First : line.ToArray();
        var json = bytes.Span.TrimEnd("\r\n"u8);
        if (!json.IsEmpty && !OutputLines.IsError(json))
        {
            await target.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
    }
}
