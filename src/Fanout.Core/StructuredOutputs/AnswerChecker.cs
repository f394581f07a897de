using Fanout.Core.Llm;
using Fanout.Core.Options;
using Fanout.Core.Storage;
using Microsoft.Extensions.Options;

namespace Fanout.Core.StructuredOutputs;

/// <summary>
/// Makes a line's call and checks its answer against the format the line asks for (<see cref="AnswerFormat"/>). An
/// answer that is not valid is asked again, up to <see cref="BatchOptions.InvalidOutputRetries"/> more times, each
/// rejection counted; still invalid, the line fails <c>invalid_output</c> with the first violation. A refusal is not
/// asked again: the line fails <c>refused</c>. A failed call ends the loop as it is (the caller's retries handle it).
/// </summary>
public sealed class AnswerChecker(IOptions<BatchOptions> options)
{
    /// <summary>Calls <paramref name="call"/> until its answer satisfies <paramref name="format"/> or the re-asks run out.</summary>
    /// <param name="call">One call of the line's request.</param>
    /// <param name="format">The line's format; null = one call, nothing checked.</param>
    /// <param name="isResponse">The answer is a Responses API body.</param>
    public async Task<CheckedAnswer> CallAsync(Func<Task<ChatCallResult>> call, AnswerFormat? format, bool isResponse)
    {
        ArgumentNullException.ThrowIfNull(call);
        var retries = options.Value.InvalidOutputRetries;
        var calls = new List<Llm.Pool.MemberCall>();
        int invalid = 0, prompt = 0, completion = 0;
        while (true)
        {
            var result = await call().ConfigureAwait(false);
            calls.AddRange(result.Calls ?? []);
            if (!result.IsSuccess || format is null)
            {
                return Done(result, null, null);
            }

            var (p, c) = OutputLines.ReadUsage(result.Body.Span);
            prompt += p;
            completion += c;
            var answer = ModelAnswer.Read(result.Body.Span, isResponse);
            if (answer.Refusal is { } refusal)
            {
                return Done(result, AnswerErrorCodes.Refused, $"The model refused: {Clip(refusal)}");
            }

            if (AnswerValidator.Check(format, answer.Text) is not { } violation)
            {
                return Done(result, null, null);
            }

            invalid++;
            if (invalid > retries)
            {
                return Done(result, AnswerErrorCodes.InvalidOutput, $"The answer is not valid against the requested format after {invalid} asks: {violation}");
            }
        }

        // One ask: the result as the invoker gave it; several: with the calls of every ask (usage_by_deployment).
        CheckedAnswer Done(ChatCallResult result, string? code, string? message)
            => new(calls.Count == (result.Calls?.Count ?? 0) ? result : result with { Calls = calls }, invalid, code, message, calls, prompt, completion);
    }

    private static string Clip(string text) => text.Length <= 500 ? text : text[..500] + "…";
}
