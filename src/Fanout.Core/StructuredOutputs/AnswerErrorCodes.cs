namespace Fanout.Core.StructuredOutputs;

/// <summary>The error codes of a line whose answer was checked (API.md, "Every line the modern API has").</summary>
public static class AnswerErrorCodes
{
    /// <summary>The answer stayed invalid against the requested format after every re-ask.</summary>
    public const string InvalidOutput = "invalid_output";

    /// <summary>The model refused (<c>message.refusal</c>, or a <c>refusal</c> content item); not asked again.</summary>
    public const string Refused = "refused";
}
