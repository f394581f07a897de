using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using System.Text.Json;
using Azure.AI.OpenAI;
using Fanout.Core.Options;
using Microsoft.Extensions.Options;
using OpenAI.Chat;
using OpenAI.Embeddings;

namespace Fanout.Core.Llm;

/// <summary>
/// Calls Azure OpenAI through <see cref="AzureOpenAIClient"/> → <see cref="ChatClient"/> using the protocol method, so
/// the line's body goes to the service unchanged and the service's JSON comes back unchanged. Transient failures are
/// retried by the SDK pipeline (<see cref="ThrottleAwareRetryPolicy"/>, which honours Retry-After / retry-after-ms);
/// a wait longer than <see cref="OpenAIOptions.MaxInActivityWaitSeconds"/> is returned to the caller instead. The
/// client's <see cref="DeploymentThrottleGate"/> makes every call to a deployment wait out a 429 that one call got; a
/// call it would hold too long is not sent and comes back as a 429 with <see cref="ChatCallResult.Deferred"/> set. Either
/// way a long wait is handed back a little short (<see cref="HandBack"/>): the gate holds the retry the rest of the way.
/// </summary>
public sealed class AzureOpenAIChatInvoker : IChatCompletionInvoker
{
    private readonly AzureOpenAIClient _client;
    private readonly Uri? _endpoint;
    private readonly TimeSpan _maxWait;
    private readonly ConcurrentDictionary<string, ChatClient> _chats = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, EmbeddingClient> _embeddings = new(StringComparer.Ordinal);

    /// <summary>Creates the invoker from options (endpoint + key, or a token credential).</summary>
    public AzureOpenAIChatInvoker(IOptions<OpenAIOptions> options, AzureOpenAIClientFactory factory)
    {
        _client = factory.Create(options.Value);
        _endpoint = options.Value.Endpoint;
        _maxWait = TimeSpan.FromSeconds(options.Value.MaxInActivityWaitSeconds);
    }

    /// <summary>Creates the invoker over a client built elsewhere (a pool member's); <paramref name="endpoint"/>, its resource endpoint, enables responses lines.</summary>
    public AzureOpenAIChatInvoker(AzureOpenAIClient client, TimeSpan maxWait, Uri? endpoint = null)
    {
        _client = client;
        _endpoint = endpoint;
        _maxWait = maxWait;
    }

    /// <summary>
    /// The wait handed back for a throttle that lasts <paramref name="wait"/>: longer than the in-call limit, it is cut by
    /// half of that limit, so the retry (after a durable timer, which may fire late) is already waiting at the closed gate,
    /// which holds it to the exact moment and spaces it from the others, instead of arriving after the quota reopened.
    /// </summary>
    internal static TimeSpan HandBack(TimeSpan wait, TimeSpan maxWait) => wait > maxWait ? wait - (maxWait / 2) : wait;

    /// <inheritdoc />
    public Task<ChatCallResult> CompleteAsync(string deployment, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var chat = _chats.GetOrAdd(deployment, d => _client.GetChatClient(d));
        return SendAsync(request => chat.CompleteChatAsync(BinaryContent.Create(BinaryData.FromBytes(body)), request), cancellationToken);
    }

    /// <inheritdoc />
    public Task<ChatCallResult> EmbedAsync(string deployment, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        // Same client, so the same retry policy and the same per-deployment throttle gate as the chat calls.
        var embeddings = _embeddings.GetOrAdd(deployment, d => _client.GetEmbeddingClient(d));
        return SendAsync(request => embeddings.GenerateEmbeddingsAsync(BinaryContent.Create(BinaryData.FromBytes(body)), request), cancellationToken);
    }

    /// <inheritdoc />
    public Task<ChatCallResult> RespondAsync(string deployment, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (_endpoint is not { } endpoint)
        {
            return ((IChatCompletionInvoker)new NoResponses()).RespondAsync(deployment, body, cancellationToken);
        }

        // Same client pipeline, so the same credential, retry policy, throttle gate and telemetry as the chat calls.
        var content = BinaryContent.Create(BinaryData.FromBytes(ResponsesRequest.WithModel(body, deployment)));
        return SendAsync(request => ResponsesRequest.SendAsync(_client, endpoint, content, request), cancellationToken);
    }

    /// <summary>Sends one protocol request and reads its answer (status, body, request id, wait).</summary>
    private async Task<ChatCallResult> SendAsync(Func<RequestOptions, Task<ClientResult>> send, CancellationToken cancellationToken)
    {
        var request = new RequestOptions { ErrorOptions = ClientErrorBehaviors.NoThrow, CancellationToken = cancellationToken };
        ClientResult result;
        try
        {
            result = await send(request).ConfigureAwait(false);
        }
        catch (Exception e) when (GateClosed(e) is { } closed)
        {
            // The deployment's gate stays closed longer than a call may wait: the same answer as the 429 it would get.
            return new ChatCallResult(
                429,
                JsonSerializer.SerializeToUtf8Bytes(new { error = new { code = "429", message = closed.Message } }),
                null,
                HandBack(closed.RetryAfter, _maxWait),
                Deferred: true);
        }
        catch (Exception e) when (e is TaskCanceledException or TimeoutException or HttpRequestException or IOException or ClientResultException
            && !cancellationToken.IsCancellationRequested)
        {
            return new ChatCallResult(0, JsonSerializer.SerializeToUtf8Bytes(new { error = new { code = "timeout", message = e.Message } }), null, null);
        }

        var response = result.GetRawResponse();
        var requestId = response.Headers.TryGetValue("x-request-id", out var id) ? id
            : response.Headers.TryGetValue("apim-request-id", out var apim) ? apim : null;
        var retryAfter = ThrottleAwareRetryPolicy.ReadRetryAfter(response);
        if (response.Status == 429 && retryAfter is { } wait)
        {
            // The gate closed on this 429 until then.
            retryAfter = HandBack(wait, _maxWait);
        }

        return new ChatCallResult(
            response.Status, response.Content.ToMemory(), requestId, retryAfter,
            RemainingTokens: ReadLong(response, "x-ratelimit-remaining-tokens"), RemainingRequests: ReadLong(response, "x-ratelimit-remaining-requests"));
    }

    /// <summary>An invoker with only the interface's defaults: its answer to a call it cannot make.</summary>
    private sealed class NoResponses : IChatCompletionInvoker
    {
        public Task<ChatCallResult> CompleteAsync(string deployment, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    private static long? ReadLong(PipelineResponse response, string header)
        => response.Headers.TryGetValue(header, out var text)
            && long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>The gate's refusal, also when the retry policy wrapped it with the exceptions of earlier tries.</summary>
    private static ThrottleGateClosedException? GateClosed(Exception e) => e switch
    {
        ThrottleGateClosedException closed => closed,
        AggregateException { InnerExceptions: [.., ThrottleGateClosedException closed] } => closed,
        _ => null,
    };
}
