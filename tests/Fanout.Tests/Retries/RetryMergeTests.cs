using System.Text;
using Fanout.Core.Retries;
using Fanout.Core.Storage;
using Xunit;

namespace Fanout.Tests.Retries;

public sealed class RetryMergeTests
{
    [Fact]
    public void A_retried_line_takes_the_base_lines_id_and_keeps_every_other_byte()
    {
        var failed = OutputLines.Error("batch_a", 7, "q-7", "server_error", "boom");
        var answered = OutputLines.Success("batch_b", 0, "q-7", "req-x", 200, """{"object":"chat.completion","choices":[{"message":{"content":"été \u00e9"}}]}"""u8);

        var merged = RetryMerge.WithIdOf(answered[..^1], failed[..^1]);

        var expected = Encoding.UTF8.GetString(answered[..^1]).Replace(OutputLines.RequestId("batch_b", 0), OutputLines.RequestId("batch_a", 7), StringComparison.Ordinal);
        Assert.Equal(expected, Encoding.UTF8.GetString(merged));
        Assert.StartsWith($"{{\"id\":\"{OutputLines.RequestId("batch_a", 7)}\",\"custom_id\":\"q-7\",\"response\":", Encoding.UTF8.GetString(merged), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stored_lines_are_read_back_byte_for_byte_with_or_without_a_last_newline()
    {
        var text = "{\"a\":1}\n{\"b\":\"\u00e9\"}\n\n{\"c\":3}";
        var lines = new List<string>();
        await foreach (var line in JsonlByteLines.ReadAsync(new ChunkedStream(Encoding.UTF8.GetBytes(text), 3), CancellationToken.None))
        {
            lines.Add(Encoding.UTF8.GetString(line));
        }

        Assert.Equal(["{\"a\":1}", "{\"b\":\"\u00e9\"}", "", "{\"c\":3}"], lines);
    }

    /// <summary>Hands out at most <c>size</c> bytes per read, so lines span reads.</summary>
    private sealed class ChunkedStream(byte[] data, int size) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, size));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => base.ReadAsync(buffer[..Math.Min(buffer.Length, size)], cancellationToken);
    }
}
