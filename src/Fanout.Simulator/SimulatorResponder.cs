using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Fanout.Simulator;

/// <summary>
/// The simulator's deterministic answers. The prompt of a request is the <c>content</c> of its messages in order joined
/// with <c>"\n"</c> (array content contributes its <c>text</c> parts, concatenated); the reply depends on nothing else.
/// </summary>
public static class SimulatorResponder
{
    /// <summary>Characters of the prompt echoed in the reply.</summary>
    public const int EchoLength = 64;

    /// <summary>
    /// The reply content for <paramref name="prompt"/>: <c>"sim:" + first 8 hex digits of SHA-256(UTF-8 prompt) + " " + the
    /// prompt's first <see cref="EchoLength"/> characters</c> (<c>"..."</c> appended when cut), so a result can be matched to its prompt.
    /// </summary>
    public static string ContentFor(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return ContentFor(prompt, PromptDigest.Compute(prompt));
    }

    /// <summary>Token estimate of <paramref name="text"/>: one token per 4 characters, rounded up, at least 1.</summary>
    public static int EstimateTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return EstimateTokens(text.Length);
    }

    /// <summary>The <c>id</c> of the completion for <paramref name="prompt"/>: <c>"chatcmpl-"</c> + 24 hex digits of its SHA-256.</summary>
    public static string CompletionIdFor(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return PromptDigest.Compute(prompt).CompletionId;
    }

    internal static int EstimateTokens(int characters) => Math.Max(1, (int)((characters + 3L) / 4));

    internal static string ContentFor(string prompt, in PromptDigest digest)
    {
        var echo = prompt.Length <= EchoLength ? prompt.AsSpan() : prompt.AsSpan(0, EchoLength);
        if (echo.Length < prompt.Length && char.IsHighSurrogate(echo[^1]))
        {
            // Don't cut a surrogate pair in half: the reply would not be valid UTF-16.
            echo = echo[..^1];
        }

        var ellipsis = echo.Length < prompt.Length ? "..." : "";
        var length = 4 + digest.Hex8.Length + 1 + echo.Length + ellipsis.Length;
        return string.Create(length, (Prompt: prompt, EchoLength: echo.Length, digest.Hex8, Ellipsis: ellipsis), static (span, s) =>
        {
            "sim:".CopyTo(span);
            s.Hex8.CopyTo(span[4..]);
            span[4 + s.Hex8.Length] = ' ';
            s.Prompt.AsSpan(0, s.EchoLength).CopyTo(span[(5 + s.Hex8.Length)..]);
            s.Ellipsis.CopyTo(span[(5 + s.Hex8.Length + s.EchoLength)..]);
        });
    }
}

/// <summary>SHA-256 of a prompt, computed once per request and shared by the reply, the id and the stats key.</summary>
internal readonly struct PromptDigest
{
    private PromptDigest(ulong key, string hex8, string completionId)
    {
        Key = key;
        Hex8 = hex8;
        CompletionId = completionId;
    }

    /// <summary>The first 8 bytes of the hash: identifies the prompt in the stats.</summary>
    public ulong Key { get; }

    /// <summary>The first 8 hex digits (lowercase).</summary>
    public string Hex8 { get; }

    /// <summary><c>"chatcmpl-"</c> + the first 24 hex digits.</summary>
    public string CompletionId { get; }

    public static PromptDigest Compute(string prompt)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var max = Encoding.UTF8.GetMaxByteCount(prompt.Length);
        if (max <= 1024)
        {
            Span<byte> utf8 = stackalloc byte[max];
            SHA256.HashData(utf8[..Encoding.UTF8.GetBytes(prompt, utf8)], hash);
        }
        else
        {
            var rented = ArrayPool<byte>.Shared.Rent(max);
            try
            {
                SHA256.HashData(rented.AsSpan(0, Encoding.UTF8.GetBytes(prompt, rented)), hash);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        var hex24 = Convert.ToHexStringLower(hash[..12]);
        return new PromptDigest(BinaryPrimitives.ReadUInt64BigEndian(hash), hex24[..8], "chatcmpl-" + hex24);
    }
}
