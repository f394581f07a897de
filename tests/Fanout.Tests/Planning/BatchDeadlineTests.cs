using Fanout.Core.Planning;
using Xunit;

namespace Fanout.Tests.Planning;

/// <summary>A batch's deadline: an ISO 8601 time with its offset, or a duration from the batch's creation.</summary>
public sealed class BatchDeadlineTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 14, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("90m", 90 * 60)]
    [InlineData("6h", 6 * 3600)]
    [InlineData("45s", 45)]
    [InlineData("2d", 2 * 86400)]
    [InlineData("24H", 24 * 3600)]
    public void A_duration_counts_from_now(string text, int seconds)
    {
        Assert.True(BatchDeadline.TryParse(text, Now, out var deadline));
        Assert.Equal(Now.AddSeconds(seconds), deadline);
    }

    [Theory]
    [InlineData("2026-12-06T08:00:00Z", "2026-12-06T08:00:00+00:00")]
    [InlineData("2026-12-06T09:00:00+01:00", "2026-12-06T08:00:00+00:00")]
    public void A_time_with_its_offset_is_read_as_utc(string text, string expected)
    {
        Assert.True(BatchDeadline.TryParse(text, Now, out var deadline));
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), deadline);
        Assert.Equal(TimeSpan.Zero, deadline.Offset);
    }

    [Theory]
    [InlineData("tomorrow")]
    [InlineData("0m")]
    [InlineData("-5m")]
    [InlineData("1.5h")]
    [InlineData("2026-12-06T08:00:00")]
    [InlineData("")]
    public void Anything_else_is_no_deadline(string text)
    {
        Assert.False(BatchDeadline.TryParse(text, Now, out _));
    }
}
