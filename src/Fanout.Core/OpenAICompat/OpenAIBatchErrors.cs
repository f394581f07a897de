namespace Fanout.Core.OpenAICompat;

/// <summary>OpenAI's batch <c>errors</c> object.</summary>
public sealed record OpenAIBatchErrors(IReadOnlyList<OpenAIBatchError> Data)
{
    /// <summary>Always "list".</summary>
    public string Object => "list";
}
