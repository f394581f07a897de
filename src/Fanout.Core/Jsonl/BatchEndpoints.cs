namespace Fanout.Core.Jsonl;

/// <summary>The OpenAI batch <c>endpoint</c> values Fanout runs (API.md, "OpenAI-compatible Batch surface").</summary>
public static class BatchEndpoints
{
    /// <summary>Chat completions.</summary>
    public const string ChatCompletions = "/v1/chat/completions";

    /// <summary>Embeddings.</summary>
    public const string Embeddings = "/v1/embeddings";

    /// <summary>Responses (the OpenAI Responses API).</summary>
    public const string Responses = "/v1/responses";

    /// <summary>The endpoints a batch may name, in the spellings accepted.</summary>
    public static readonly IReadOnlyList<string> Supported = [ChatCompletions, "/chat/completions", Embeddings, "/embeddings", Responses, "/responses"];

    /// <summary>True when <paramref name="endpoint"/> is one of <see cref="Supported"/>.</summary>
    public static bool IsSupported(string? endpoint) => endpoint is not null && Supported.Contains(endpoint, StringComparer.Ordinal);

    /// <summary>True for the embeddings endpoint in either spelling.</summary>
    public static bool IsEmbeddings(string? endpoint) => endpoint is Embeddings or "/embeddings";

    /// <summary>True for the responses endpoint in either spelling.</summary>
    public static bool IsResponses(string? endpoint) => endpoint is Responses or "/responses";
}
