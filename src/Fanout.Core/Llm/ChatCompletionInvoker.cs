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

/// <summary>The answer of one chat-completion call after the SDK's own retries.</summary>
/// <param name="Status">HTTP status; 0 when the call timed out or failed to connect.</param>
/// <param name="Body">The response body (or a synthetic error body).</param>
/// <param name="RequestId">The service's request id, when it answered.</param>
/// <param name="RetryAfter">
/// When to try again: the service-requested wait, or the time the throttle gate stays closed; a wait longer than
/// <see cref="OpenAIOptions.MaxInActivityWaitSeconds"/> comes back shortened by half of that (see
/// <see cref="AzureOpenAIChatInvoker.HandBack"/>).
/// </param>
/// <param name="Deferred">
/// Not sent: the deployment's <see cref="DeploymentThrottleGate"/> stays closed for longer than a call may wait, so
/// the result is a 429 with that wait (handed back as for a 429 from the service) as <see cref="RetryAfter"/>.
/// </param>
/// <param name="RemainingTokens">The answer's <c>x-ratelimit-remaining-tokens</c>, when it had one.</param>
/// <param name="RemainingRequests">The answer's <c>x-ratelimit-remaining-requests</c>, when it had one.</param>
/// <param name="Calls">The calls made for it, per pool member (<c>usage_by_deployment</c>); set by <see cref="Pool.PooledChatInvoker"/>.</param>
public sealed record ChatCallResult(
    int Status,
    ReadOnlyMemory<byte> Body,
    string? RequestId,
    TimeSpan? RetryAfter,
    bool Deferred = false,
    long? RemainingTokens = null,
    long? RemainingRequests = null,
    IReadOnlyList<Pool.MemberCall>? Calls = null)
{
    /// <summary>2xx.</summary>
    public bool IsSuccess => Status is >= 200 and < 300;

    /// <summary>Worth trying again later: throttled, timed out or a server error.</summary>
    public bool IsTransient => Status is 408 or 429 or >= 500 || Status == 0;
}

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

/// <summary>
/// Builds the <see cref="AzureOpenAIClient"/> with Fanout's pipeline settings: <see cref="ThrottleAwareRetryPolicy"/>
/// and, per try, a <see cref="DeploymentThrottleGate"/> of its own (shared by every request of that client).
/// </summary>
/// <param name="timeProvider">Clock of the throttle gate; <see cref="TimeProvider.System"/> when null.</param>
public class AzureOpenAIClientFactory(TimeProvider? timeProvider = null)
{
    /// <summary>Creates a client for <paramref name="options"/>.</summary>
    public virtual AzureOpenAIClient Create(OpenAIOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Endpoint);
        return Create(options, CreateClientOptions(options, timeProvider));
    }

    /// <summary>Creates a client for <paramref name="options"/> (endpoint and credential) with <paramref name="clientOptions"/>.</summary>
    public static AzureOpenAIClient Create(OpenAIOptions options, AzureOpenAIClientOptions clientOptions)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Endpoint);
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            return new AzureOpenAIClient(options.Endpoint, new ApiKeyCredential(options.ApiKey), clientOptions);
        }

        var credential = new Azure.Identity.DefaultAzureCredential(new Azure.Identity.DefaultAzureCredentialOptions
        {
            ManagedIdentityClientId = options.ManagedIdentityClientId,
        });
        return new AzureOpenAIClient(options.Endpoint, credential, clientOptions);
    }

    /// <summary>The client options Fanout uses: retry policy, throttle gate and timeout.</summary>
    public static AzureOpenAIClientOptions CreateClientOptions(OpenAIOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return CreateClientOptions(options, options.MaxRetries, NewGate(options, timeProvider));
    }

    /// <summary>A throttle gate with <paramref name="options"/>' in-call wait limit and spacing.</summary>
    public static DeploymentThrottleGate NewGate(OpenAIOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new DeploymentThrottleGate(
            TimeSpan.FromSeconds(options.MaxInActivityWaitSeconds), timeProvider, TimeSpan.FromMilliseconds(options.ThrottleGateSpacingMs));
    }

    /// <summary>
    /// The client options with <paramref name="maxRetries"/> SDK retries and <paramref name="gate"/> in the pipeline;
    /// its attempts are counted under <paramref name="member"/> (null = the deployment of each request).
    /// </summary>
    public static AzureOpenAIClientOptions CreateClientOptions(OpenAIOptions options, int maxRetries, DeploymentThrottleGate gate, string? member = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var maxWait = TimeSpan.FromSeconds(options.MaxInActivityWaitSeconds);
        var clientOptions = new AzureOpenAIClientOptions
        {
            RetryPolicy = new ThrottleAwareRetryPolicy(maxRetries, maxWait),
            NetworkTimeout = TimeSpan.FromSeconds(options.TimeoutSeconds),
        };
        clientOptions.AddPolicy(gate, PipelinePosition.PerTry);
        clientOptions.AddPolicy(new Telemetry.CallTelemetryPolicy(), PipelinePosition.PerTry);
        clientOptions.AddPolicy(new Attempts.AttemptCountingPolicy(member), PipelinePosition.PerTry);
        return clientOptions;
    }
}

/// <summary>
/// The SDK's retry policy (exponential backoff with jitter, honours <c>retry-after-ms</c>, <c>x-ms-retry-after-ms</c>
/// and <c>Retry-After</c>), except that it declines to wait longer than a ceiling: such a wait belongs in a durable timer.
/// </summary>
public sealed class ThrottleAwareRetryPolicy(int maxRetries, TimeSpan maxWait) : ClientRetryPolicy(maxRetries)
{
    /// <summary>Reads the server-requested delay from a response, if any.</summary>
    public static TimeSpan? ReadRetryAfter(PipelineResponse response)
    {
        if (response.Headers.TryGetValue("retry-after-ms", out var ms) && double.TryParse(ms, System.Globalization.CultureInfo.InvariantCulture, out var m))
        {
            return TimeSpan.FromMilliseconds(m);
        }

        if (response.Headers.TryGetValue("x-ms-retry-after-ms", out var xms) && double.TryParse(xms, System.Globalization.CultureInfo.InvariantCulture, out var xm))
        {
            return TimeSpan.FromMilliseconds(xm);
        }

        if (response.Headers.TryGetValue("Retry-After", out var ra) && double.TryParse(ra, System.Globalization.CultureInfo.InvariantCulture, out var s))
        {
            return TimeSpan.FromSeconds(s);
        }

        return null;
    }

    /// <inheritdoc />
    protected override bool ShouldRetry(PipelineMessage message, Exception? exception)
        => exception is not ThrottleGateClosedException && base.ShouldRetry(message, exception) && !TooLong(message);

    /// <inheritdoc />
    protected override async ValueTask<bool> ShouldRetryAsync(PipelineMessage message, Exception? exception)
        => exception is not ThrottleGateClosedException && await base.ShouldRetryAsync(message, exception).ConfigureAwait(false) && !TooLong(message);

    private bool TooLong(PipelineMessage message)
        => message.Response is { } r && ReadRetryAfter(r) is { } wait && wait > maxWait;
}
