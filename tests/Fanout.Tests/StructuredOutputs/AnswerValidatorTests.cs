using Fanout.Core.StructuredOutputs;
using Xunit;

namespace Fanout.Tests.StructuredOutputs;

/// <summary>The validation message names the first violation: the JSON pointer and the rule.</summary>
public sealed class AnswerValidatorTests
{
    private const string Person = """
        {"type":"object","additionalProperties":false,"required":["name","age","tags"],
         "properties":{"name":{"type":"string"},"age":{"type":"integer","minimum":0,"maximum":150},
                       "tags":{"type":"array","items":{"$ref":"#/$defs/tag"}}},
         "$defs":{"tag":{"enum":["a","b"]}}}
        """;

    private static readonly AnswerFormat Schema = new(Person);

    [Fact]
    public void A_valid_answer_has_no_violation()
        => Assert.Null(AnswerValidator.Check(Schema, """{"name":"Ada","age":36,"tags":["a","b"]}"""));

    [Theory]
    [InlineData("""{"name":"Ada","age":300,"tags":[]}""", "/age: maximum: ")]
    [InlineData("""{"name":"Ada","age":3,"tags":["c"]}""", "/tags/0: enum: ")]
    [InlineData("""{"age":3,"tags":[]}""", "/: required: ")]
    [InlineData("""{"name":7,"age":3,"tags":[]}""", "/name: type: ")]
    [InlineData("""{"name":"Ada","age":3,"tags":[],"extra":1}""", "/extra: additionalProperties: ")]
    [InlineData("""{"name":"Ada","age":""", "/: json: the answer is not valid JSON")]
    [InlineData("", "/: type: the answer is empty")]
    public void An_invalid_answer_is_described_by_its_first_violation(string answer, string expectedStart)
    {
        var violation = AnswerValidator.Check(Schema, answer);

        Assert.NotNull(violation);
        Assert.StartsWith(expectedStart, violation, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"a":1}""", true)]
    [InlineData("""[1]""", false)]
    [InlineData("\"text\"", false)]
    public void Json_object_asks_for_one_object(string answer, bool valid)
        => Assert.Equal(valid, AnswerValidator.Check(new AnswerFormat(Schema: null), answer) is null);

    [Fact]
    public void A_schema_that_cannot_be_built_is_named_as_the_problem()
        => Assert.StartsWith("/: schema: ", AnswerValidator.Check(new AnswerFormat("""{"type":"objectx"}"""), "{}"), StringComparison.Ordinal);
}
