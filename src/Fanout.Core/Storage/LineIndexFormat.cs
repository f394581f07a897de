using System.Buffers.Binary;

namespace Fanout.Core.Storage;

/// <summary>
/// The <c>.idx</c> blob of a prepared chunk: the byte offset of each line's start, then the chunk's length, each as a
/// little-endian 64-bit integer. Line <c>i</c> is bytes <c>[offsets[i], offsets[i + 1])</c> of the chunk.
/// </summary>
public static class LineIndexFormat
{
    /// <summary>Encodes the offsets.</summary>
    public static byte[] Encode(IReadOnlyList<long> offsets)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        var bytes = new byte[offsets.Count * sizeof(long)];
        for (var i = 0; i < offsets.Count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * sizeof(long)), offsets[i]);
        }

        return bytes;
    }

    /// <summary>Decodes the offsets.</summary>
    public static long[] Decode(ReadOnlySpan<byte> bytes)
    {
        var offsets = new long[bytes.Length / sizeof(long)];
        for (var i = 0; i < offsets.Length; i++)
        {
            offsets[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes[(i * sizeof(long))..]);
        }

        return offsets;
    }
}
