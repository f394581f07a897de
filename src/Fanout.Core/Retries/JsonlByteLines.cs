using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Fanout.Core.Retries;

/// <summary>Reads a stored JSONL file line by line as raw bytes (without the <c>\n</c>), so lines can be copied byte for byte.</summary>
internal static class JsonlByteLines
{
    /// <summary>The lines of <paramref name="stream"/>; a last line without <c>\n</c> is returned too. The stream is not disposed.</summary>
    public static async IAsyncEnumerable<byte[]> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = read.Buffer;
                var lines = new List<byte[]>();
                while (buffer.PositionOf((byte)'\n') is { } newline)
                {
                    lines.Add(buffer.Slice(0, newline).ToArray());
                    buffer = buffer.Slice(buffer.GetPosition(1, newline));
                }

                var rest = read.IsCompleted && !buffer.IsEmpty ? buffer.ToArray() : null;
                reader.AdvanceTo(buffer.Start, buffer.End);
                foreach (var line in lines)
                {
                    yield return line;
                }

                if (read.IsCompleted)
                {
                    if (rest is not null)
                    {
                        yield return rest;
                    }

                    yield break;
                }
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }
}
