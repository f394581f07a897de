using System.Text;
using Fanout.Core.Jsonl;
using Fanout.Core.OpenAICompat;
using Xunit;

namespace Fanout.Tests.OpenAICompat;

/// <summary>Uploads are held to the batch limits while they stream.</summary>
public sealed class UploadLimitStreamTests
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
        using var stream = new UploadLimitStream(inner, maxBytes, maxLines);
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
}
