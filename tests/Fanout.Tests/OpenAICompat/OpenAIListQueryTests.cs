using Fanout.Core.OpenAICompat;
using Fanout.Core.Service;
using Xunit;

namespace Fanout.Tests.OpenAICompat;

/// <summary>The list routes' query: <c>limit</c> in range, <c>order</c> asc or desc, a parameter given twice is not one value.</summary>
public sealed class OpenAIListQueryTests
{
    [Fact]
    public void An_absent_limit_is_the_default_and_order_is_newest_first()
    {
        Assert.Equal(20, OpenAIListQuery.Limit(QueryArgs.Empty, 20, 100).Value);
        Assert.False(OpenAIListQuery.Ascending(QueryArgs.Empty).Value);
        Assert.Null(OpenAIListQuery.Text(QueryArgs.Empty, "after"));
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("100", 100)]
    public void A_limit_in_range_is_taken(string limit, int expected)
        => Assert.Equal(expected, OpenAIListQuery.Limit(QueryArgs.Of(("limit", limit)), 20, 100).Value);

    [Theory]
    [InlineData("0")]
    [InlineData("101")]
    [InlineData("-1")]
    [InlineData("ten")]
    [InlineData("")]
    public void A_limit_out_of_range_is_400_invalid_parameter(string limit)
    {
        var read = OpenAIListQuery.Limit(QueryArgs.Of(("limit", limit)), 20, 100);

        Assert.Equal("invalid_parameter", read.Error?.Code);
        Assert.Equal("Query parameter 'limit' must be an integer from 1 to 100.", read.Error?.Message);
    }

    [Fact]
    public void A_limit_given_twice_is_not_one_value()
    {
        var query = new QueryArgs([KeyValuePair.Create("limit", (IReadOnlyList<string>)["5", "6"])]);

        Assert.False(OpenAIListQuery.Limit(query, 20, 100).IsSuccess);
    }

    [Theory]
    [InlineData("asc", true)]
    [InlineData("desc", false)]
    public void Order_reads_asc_and_desc(string order, bool ascending)
        => Assert.Equal(ascending, OpenAIListQuery.Ascending(QueryArgs.Of(("order", order))).Value);

    [Fact]
    public void Another_order_is_400_invalid_parameter()
        => Assert.Equal("Query parameter 'order' must be 'asc' or 'desc'.", OpenAIListQuery.Ascending(QueryArgs.Of(("order", "newest"))).Error?.Message);
}
