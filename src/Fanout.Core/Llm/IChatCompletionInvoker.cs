using System.Text.Json;

namespace Fanout.Core.Llm;

/// <summary>Sends one chat-completions request body to a deployment.</summary>
public interface IChatCompletionInvoker
{
    /// <summary>Sends <paramref name="body"/> (the line's raw <c>body</c> JSON) to <paramref name="deployment"/>.</summary>
    Task<ChatCallResult> CompleteAsync(string deployment, ReadOnlyMemory<byte> body, CancellationToken cancellationToken);

    /// <summary>
    /// Sends an embeddings request body (a <c>/v1/embeddings</c> line) to <paramref name="deployment"/>. An invoker that
    /// has no embeddings operation answers 400 <c>unsupported_endpoint</c>, which the line's error record carries.
    /// </summary>
    Task<ChatCallResult> EmbedAsync(string deployment, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
        => Task.FromResult(new ChatCallResult(
            400,
            JsonSerializer.SerializeToUtf8Bytes(new { error = new { code = "unsupported_endpoint", message = "This model client does not run /v1/embeddings lines." } }),
            null,
            null));

    /// <summary>
    /// Sends a Responses API request body (a <c>/v1/responses</c> line) to <paramref name="deployment"/>. An invoker that
    /// has no responses operation answers 400 <c>unsupported_endpoint</c>, which the line's error record carries.
    /// </summary>
    Task<ChatCallResult> RespondAsync(string deployment, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
        => Task.FromResult(new ChatCallResult(
            400,
            JsonSerializer.SerializeToUtf8Bytes(new { error = new { code = "unsupported_endpoint", message = "This model client does not run /v1/responses lines." } }),
            null,
            null));
}
