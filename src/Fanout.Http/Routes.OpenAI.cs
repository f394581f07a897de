namespace Fanout.Http;

/// <summary>
/// The OpenAI-compatible routes (API.md): the same paths under two prefixes, <c>v1</c> (OpenAI SDKs) and
/// <c>openai</c> (Azure OpenAI SDKs, with <c>api-version</c>). The portable host maps them at the root
/// (<c>/v1/files</c>), the Functions host under its <see cref="ApiPrefix"/> (<c>/api/v1/files</c>).
/// </summary>
public static partial class Routes
{
    /// <summary>The OpenAI SDKs' prefix.</summary>
    public const string OpenAIV1Prefix = "v1";

    /// <summary>The Azure OpenAI SDKs' prefix.</summary>
    public const string AzureOpenAIPrefix = "openai";

    /// <summary>Both prefixes as one route parameter, for a trigger that serves both.</summary>
    public const string OpenAIPrefixParameter = "{prefix:regex(^(" + OpenAIV1Prefix + "|" + AzureOpenAIPrefix + ")$)}";

    /// <summary><c>POST</c> upload, <c>GET</c> list.</summary>
    public const string OpenAIFiles = "files";

    /// <summary><c>GET</c> one file, <c>DELETE</c> it.</summary>
    public const string OpenAIFile = "files/{id}";

    /// <summary><c>GET</c> a file's bytes.</summary>
    public const string OpenAIFileContent = "files/{id}/content";

    /// <summary><c>POST</c> create, <c>GET</c> list.</summary>
    public const string OpenAIBatches = "batches";

    /// <summary><c>GET</c> one batch.</summary>
    public const string OpenAIBatch = "batches/{id}";

    /// <summary><c>POST</c> cancel.</summary>
    public const string OpenAIBatchCancel = "batches/{id}/cancel";

    /// <summary>The prefixes the portable host maps the OpenAI routes under.</summary>
    public static IReadOnlyList<string> OpenAIPrefixes { get; } = [OpenAIV1Prefix, AzureOpenAIPrefix];
}
