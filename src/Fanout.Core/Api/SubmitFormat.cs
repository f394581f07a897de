namespace Fanout.Core.Api;

/// <summary>How a submit's body is written (the transport reads it from the Content-Type).</summary>
public enum SubmitFormat
{
    /// <summary>OpenAI Batch input lines (<c>application/jsonl</c> and its aliases).</summary>
    Jsonl,

    /// <summary>The prompts form <c>{"prompts": [...]}</c> (<c>application/json</c>).</summary>
    PromptsJson,
}
