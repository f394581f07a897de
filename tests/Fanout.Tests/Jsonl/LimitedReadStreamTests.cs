using System.Text;
using Fanout.Core.Jsonl;
using Fanout.Core.Service;
using Xunit;

namespace Fanout.Tests.Jsonl;

/// <summary>Bodies are held to their limits while they stream, and a transport's own errors are translated.</summary>
public sealed class LimitedReadStreamTests
{
    [Theory]
    [InlineData("a\nb\nc\n", 3, 100, null)]
    [InlineData("a\nb\nc", 3, 100, null)]
    [InlineData("a\n\n  \r\nb\n\n\n", 2, 100, null)]
    [InlineData("a\nb\nc\nd\n", 3, 100, BatchLimitExceededException.TooManyLinesCode)]
    [InlineData("abcdefghij", 5, 9, BatchLimitExceededException.BatchTooLargeCode)]
    [InlineData("abcdefghi", 5, 9, null)]
    public async Task Lines_and_bytes_are_counted_as_they_pass(string text, int maxLines, long maxBytes, string? expectedCode)
    {
        // One byte per read: limits must hold across read boundaries.
        using var inner = new MemoryStream(Encoding.UTF8.GetBytes(text));
        using var stream = new LimitedReadStream(inner, maxBytes, maxLines);
        var buffer = new byte[1];

        async Task DrainAsync()
        {
            while (await stream.ReadAsync(buffer) > 0)
            {
            }
        }

        if (expectedCode is null)
        {
            await DrainAsync();
            Assert.Equal(Encoding.UTF8.GetByteCount(text), stream.Position);
        }
        else
        {
            var e = await Assert.ThrowsAsync<BatchLimitExceededException>(DrainAsync);
            Assert.Equal(expectedCode, e.Code);
        }
    }

    [Fact]
    public async Task Without_a_line_limit_only_bytes_are_counted()
    {
        using var stream = new LimitedReadStream(new MemoryStream(Encoding.UTF8.GetBytes("a\nb\nc\n")), maxBytes: 6);

        var read = await stream.ReadAsync(new byte[16]);

        Assert.Equal(6, read);
        Assert.Equal(6, stream.Position);
    }

    [Fact]
    public async Task A_read_error_the_translator_knows_is_thrown_as_its_translation()
    {
        var tooLarge = new IOException("request body too large");
        using var stream = new LimitedReadStream(new FailingStream(tooLarge), translateError: e => e == tooLarge ? new BodyTooLargeException(e.Message, e) : null);

        var e = await Assert.ThrowsAsync<BodyTooLargeException>(async () => _ = await stream.ReadAsync(new byte[4]));
        Assert.Same(tooLarge, e.InnerException);
        Assert.Throws<BodyTooLargeException>(() => stream.Read(new byte[4], 0, 4));
    }

    [Fact]
    public async Task A_read_error_the_translator_does_not_know_passes_unchanged()
    {
        var other = new InvalidDataException("broken");
        using var stream = new LimitedReadStream(new FailingStream(other), translateError: _ => null);

        Assert.Same(other, await Assert.ThrowsAsync<InvalidDataException>(async () => _ = await stream.ReadAsync(new byte[4])));
    }

    /// <summary>A body whose every read fails with one exception.</summary>
    private sealed class FailingStream(Exception error) : MemoryStream
    {
        public override int Read(byte[] buffer, int offset, int count) => throw error;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromException<int>(error);
    }
}
