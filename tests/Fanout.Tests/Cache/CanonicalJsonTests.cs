using System.Text;
using Fanout.Core.Cache;
using Xunit;

namespace Fanout.Tests.Cache;

/// <summary>The cache key's canonical JSON (RFC 8785-like): one spelling for every way of writing the same value.</summary>
public sealed class CanonicalJsonTests
{
    [Fact]
    public void Members_are_sorted_by_name_and_whitespace_goes()
    {
        var canonical = CanonicalJson.Canonicalize("""
            { "temperature" : 0.5,
              "messages": [ {"role":"user", "content":"Hi"} ],
              "max_tokens":64 }
            """);

        Assert.Equal("""{"max_tokens":64,"messages":[{"content":"Hi","role":"user"}],"temperature":0.5}""", canonical);
    }

    [Fact]
    public void Names_sort_by_utf16_code_units_not_by_culture()
    {
        // RFC 8785 3.2.3: "\u20ac" (€) sorts before "\ud83d\ude00" (😀, a surrogate pair), and capitals before lowercase.
        var canonical = CanonicalJson.Canonicalize("""{"b":1,"a":2,"B":3,"😀":4,"€":5,"\u000a":6}""");

        Assert.Equal("{\"\\n\":6,\"B\":3,\"a\":2,\"b\":1,\"€\":5,\"😀\":4}", canonical);
    }

    [Theory]
    [InlineData("1", "1")]
    [InlineData("1.0", "1")]
    [InlineData("1e0", "1")]
    [InlineData("10E-1", "1")]
    [InlineData("-0", "0")]
    [InlineData("0.000", "0")]
    [InlineData("0.7", "0.7")]
    [InlineData("0.70", "0.7")]
    [InlineData("7e-1", "0.7")]
    [InlineData("100", "100")]
    [InlineData("1E2", "100")]
    [InlineData("-1.5", "-1.5")]
    [InlineData("123456789012345680000", "123456789012345680000")]
    [InlineData("1e21", "1e+21")]
    [InlineData("1.5e21", "1.5e+21")]
    [InlineData("0.000001", "0.000001")]
    [InlineData("1e-7", "1e-7")]
    [InlineData("-1.25e-7", "-1.25e-7")]
    [InlineData("9007199254740993", "9007199254740992")]
    [InlineData("4.50", "4.5")]
    [InlineData("333333333.33333329", "333333333.3333333")]
    [InlineData("1.7976931348623157e308", "1.7976931348623157e+308")]
    [InlineData("5e-324", "5e-324")]
    public void Numbers_are_written_as_ecmascript_writes_a_double(string written, string canonical)
    {
        Assert.Equal(canonical, CanonicalJson.Canonicalize(written));
    }

    [Fact]
    public void Strings_use_the_fewest_escapes()
    {
        var canonical = CanonicalJson.Canonicalize("""["\u0041\u00e9\u20ac", "\/", "tab\there", "\u001f", "quote\" back\\", "\u2028"]""");

        Assert.Equal("[\"Aé€\",\"/\",\"tab\\there\",\"\\u001f\",\"quote\\\" back\\\\\",\"\u2028\"]", canonical);
    }

    [Fact]
    public void A_lone_surrogate_escape_keeps_its_spelling_instead_of_failing()
    {
        Assert.Equal("{\"a\":\"\\ud800\"}", CanonicalJson.Canonicalize("{ \"a\" : \"\\ud800\" }"));
    }

    [Fact]
    public void A_number_beyond_a_double_keeps_its_own_spelling()
    {
        Assert.Equal("[1e400]", CanonicalJson.Canonicalize("[ 1e400 ]"));
    }

    [Fact]
    public void Literals_and_nesting_keep_their_meaning()
    {
        Assert.Equal("""{"a":[true,false,null,{}],"b":[]}""", CanonicalJson.Canonicalize("""{"b":[ ],"a":[true ,false, null,{ }]}"""));
    }

    [Fact]
    public void Output_is_utf8_of_the_characters_themselves()
    {
        var bytes = CanonicalJson.Canonicalize(Encoding.UTF8.GetBytes("""{"k":"\u00e9"}"""));

        Assert.Equal(Encoding.UTF8.GetBytes("{\"k\":\"é\"}"), bytes);
    }
}
