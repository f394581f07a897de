using System.Text;
using Fanout.Core.Storage;
using Xunit;

namespace Fanout.Tests.Storage;

/// <summary>Which copy of a line that ran twice is kept: the first, unless it is an error and a later copy is an answer.</summary>
public sealed class DuplicateResultRuleTests
{
    private static readonly ReadOnlyMemory<byte> Answer = OutputLines.Success("b", 3, "q-3", "r-1", 200, "{\"choices\":[]}"u8);
    private static readonly ReadOnlyMemory<byte> OtherAnswer = OutputLines.Success("b", 3, "q-3", "r-2", 200, "{\"choices\":[1]}"u8);
    private static readonly ReadOnlyMemory<byte> Error = OutputLines.Error("b", 3, "q-3", "server_error", "boom");
    private static readonly ReadOnlyMemory<byte> OtherError = OutputLines.Error("b", 3, "q-3", "timeout", "slow");

    [Fact]
    public void The_first_copy_is_kept_when_nothing_is_kept_yet()
    {
        Assert.True(DuplicateResultRule.Replaces(null, Answer));
        Assert.True(DuplicateResultRule.Replaces(null, Error));
    }

    [Fact]
    public void An_answer_replaces_an_error_but_never_the_reverse()
    {
        Assert.True(DuplicateResultRule.Replaces(Error, Answer));
        Assert.False(DuplicateResultRule.Replaces(Answer, Error));
    }

    [Fact]
    public void Between_two_answers_or_two_errors_the_first_stays()
    {
        Assert.False(DuplicateResultRule.Replaces(Answer, OtherAnswer));
        Assert.False(DuplicateResultRule.Replaces(Error, OtherError));
    }

    [Fact]
    public void An_error_line_is_recognised_with_or_without_its_newline()
    {
        var withNewline = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Error.Span).TrimEnd('\n') + "\n");
        var without = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Error.Span).TrimEnd('\n'));

        Assert.True(DuplicateResultRule.IsErrorLine(withNewline));
        Assert.True(DuplicateResultRule.IsErrorLine(without));
        Assert.False(DuplicateResultRule.IsErrorLine(Answer));
    }
}
