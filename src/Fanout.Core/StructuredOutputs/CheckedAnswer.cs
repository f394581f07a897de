using Fanout.Core.Llm;

namespace Fanout.Core.StructuredOutputs;

/// <summary>The outcome of a line's call once its answer was checked.</summary>
/// <param name="Result">The last call's result (the answer kept, or the failure to hand on).</param>
/// <param name="InvalidOutputs">Answers rejected as invalid (<c>progress.invalid_outputs</c>).</param>
/// <param name="ErrorCode"><see cref="AnswerErrorCodes"/> when the answer was refused or stayed invalid; null otherwise.</param>
/// <param name="ErrorMessage">Why, for the line's error record.</param>
/// <param name="Calls">Every call made, per pool member, over all the asks.</param>
/// <param name="PromptTokens">Prompt tokens of every ask.</param>
/// <param name="CompletionTokens">Completion tokens of every ask.</param>
public sealed record CheckedAnswer(
    ChatCallResult Result,
    int InvalidOutputs,
    string? ErrorCode,
    string? ErrorMessage,
    IReadOnlyList<Llm.Pool.MemberCall> Calls,
    int PromptTokens,
    int CompletionTokens);
