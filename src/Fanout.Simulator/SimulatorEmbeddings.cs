using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Fanout.Simulator;

/// <summary>The simulator's deterministic embeddings: the vector of a text depends on the text and the dimensions only.</summary>
public static class SimulatorEmbeddings
{
    /// <summary>Dimensions when the request gives no <c>dimensions</c>.</summary>
    public const int DefaultDimensions = 64;

    /// <summary>The most dimensions a request may ask for (text-embedding-3-large's size).</summary>
    public const int MaxDimensions = 3072;

    /// <summary>
    /// A unit-length vector of <paramref name="dimensions"/> floats drawn from SHA-256("emb:" + block + ":" + text),
    /// so equal texts get equal vectors and different texts (almost surely) different ones.
    /// </summary>
    public static float[] VectorFor(string text, int dimensions = DefaultDimensions)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        var vector = new float[dimensions];
        Span<byte> hash = stackalloc byte[32];
        var sum = 0.0;
        for (var i = 0; i < dimensions; i += 8)
        {
            SHA256.HashData(Encoding.UTF8.GetBytes($"emb:{i / 8}:{text}"), hash);
            for (var j = 0; j < 8 && i + j < dimensions; j++)
            {
                var value = (BinaryPrimitives.ReadUInt32LittleEndian(hash[(j * 4)..]) / (double)uint.MaxValue * 2.0) - 1.0;
                vector[i + j] = (float)value;
                sum += value * value;
            }
        }

        var norm = (float)Math.Sqrt(Math.Max(sum, double.Epsilon));
        for (var i = 0; i < dimensions; i++)
        {
            vector[i] /= norm;
        }

        return vector;
    }
}
