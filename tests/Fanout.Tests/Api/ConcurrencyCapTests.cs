using System.Text.Json;
using Fanout.Core.Api;
using Fanout.Core.Service;
using Xunit;

namespace Fanout.Tests.Api;

/// <summary>One parser and one message for the cap, whatever the surface calls it.</summary>
public sealed class ConcurrencyCapTests
{
    [Theory]
    [InlineData("{}", null)]
    [InlineData("{\"maxConcurrency\":null}", null)]
    [InlineData("{\"maxConcurrency\":1}", 1)]
    [InlineData("{\"maxConcurrency\":50}", 50)]
    public void An_absent_null_or_in_range_json_cap_is_read(string json, int? expected)
    {
        using var doc = JsonDocument.Parse(json);

        Assert.True(ConcurrencyCap.TryRead(doc.RootElement, ConcurrencyCap.Field, 50, out var cap, out var error));
        Assert.Equal(expected, cap);
        Assert.Null(error);
    }

    [Theory]
    [InlineData("{\"maxConcurrency\":0}", ConcurrencyCap.Field)]
    [InlineData("{\"maxConcurrency\":51}", ConcurrencyCap.Field)]
    [InlineData("{\"maxConcurrency\":2.5}", ConcurrencyCap.Field)]
    [InlineData("{\"maxConcurrency\":\"5\"}", ConcurrencyCap.Field)]
    [InlineData("{\"max_concurrency\":-1}", ConcurrencyCap.OpenAIField)]
    [InlineData("{\"max_concurrency\":99999999999}", ConcurrencyCap.OpenAIField)]
    public void A_wrong_json_cap_is_invalid_body_naming_its_field(string json, string field)
    {
        using var doc = JsonDocument.Parse(json);

        Assert.False(ConcurrencyCap.TryRead(doc.RootElement, field, 50, out var cap, out var error));
        Assert.Null(cap);
        Assert.Equal(ErrorKind.Invalid, error.Kind);
        Assert.Equal("invalid_body", error.Code);
        Assert.Equal($"'{field}' must be an integer from 1 to 50.", error.Message);
    }

    [Fact]
    public void An_absent_query_cap_is_no_cap_and_an_in_range_one_is_read()
    {
        Assert.True(ConcurrencyCap.TryRead(QueryArgs.Empty, 50, out var none, out _));
        Assert.Null(none);
        Assert.True(ConcurrencyCap.TryRead(QueryArgs.Of(("maxConcurrency", "50")), 50, out var cap, out _));
        Assert.Equal(50, cap);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("51")]
    [InlineData("+5")]
    [InlineData("five")]
    public void A_wrong_query_cap_is_invalid_parameter_with_the_same_rule(string value)
    {
        Assert.False(ConcurrencyCap.TryRead(QueryArgs.Of(("maxConcurrency", value)), 50, out _, out var error));
        Assert.Equal("invalid_parameter", error.Code);
        Assert.Equal("Query parameter " + ConcurrencyCap.Message(ConcurrencyCap.Field, 50), error.Message);
    }

    [Fact]
    public void A_repeated_query_cap_is_invalid()
        => Assert.False(ConcurrencyCap.TryRead(new QueryArgs([KeyValuePair.Create("maxConcurrency", (IReadOnlyList<string>)["1", "2"])]), 50, out _, out _));
}
