using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using System.Text.Json;
using Azure.AI.OpenAI;
using Fanout.Core.Options;
using Microsoft.Extensions.Options;
using OpenAI.Chat;

namespace Fanout.Core.Llm;

/// <summary>The answer of one chat-completion call after the SDK's own retries.</summary>
public sealed record ChatCallResult(int Status, ReadOnlyMemory<byte> Body, string? RequestId, TimeSpan? RetryAfter)
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
}

/// <summary>
/// Calls Azure OpenAI through <see cref="AzureOpenAIClient"/> → <see cref="ChatClient"/> using the protocol method, so
/// the line's body goes to the service unchanged and the service's JSON comes back unchanged. Transient failures are
/// retried by the SDK pipeline (<see cref="ThrottleAwareRetryPolicy"/>, which honours Retry-After / retry-after-ms);
/// a wait longer than <see cref="OpenAIOptions.MaxInActivityWaitSeconds"/> is returned to the caller instead.
/// </summary>
public sealed class AzureOpenAIChatInvoker : IChatCompletionInvoker
{
    private readonly AzureOpenAIClient _client;
    private readonly ConcurrentDictionary<string, ChatClient> _chats = new(StringComparer.Ordinal);

    /// <summary>Creates the invoker from options (endpoint + key, or a token credential).</summary>
    public AzureOpenAIChatInvoker(IOptions<OpenAIOptions> options, AzureOpenAIClientFactory factory)
    {
        _client = factory.Create(options.Value);
    }

    /// <inheritdoc />
    public async Task<ChatCallResult> CompleteAsync(string deployment, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var chat = _chats.GetOrAdd(deployment, d => _client.GetChatClient(d));
        var request = new RequestOptions { ErrorOptions = ClientErrorBehaviors.NoThrow, CancellationToken = cancellationToken };
        ClientResult result;
        try
        {
            result = await chat.CompleteChatAsync(BinaryContent.Create(BinaryData.FromBytes(body)), request).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TaskCanceledException or TimeoutException or HttpRequestException or IOException or ClientResultException
            && !cancellationToken.IsCancellationRequested)
        {
            return new ChatCallResult(0, JsonSerializer.SerializeToUtf8Bytes(new { error = new { code = "timeout", message = e.Message } }), null, null);
        }

        var response = result.GetRawResponse();
        var requestId = response.Headers.TryGetValue("x-request-id", out var id) ? id
            : response.Headers.TryGetValue("apim-request-id", out var apim) ? apim : null;
        return new ChatCallResult(response.Status, response.Content.ToMemory(), requestId, ThrottleAwareRetryPolicy.ReadRetryAfter(response));
    }
}

/// <summary>Builds the <see cref="AzureOpenAIClient"/> with Fanout's pipeline settings.</summary>
public class AzureOpenAIClientFactory
{
    /// <summary>Creates a client for <paramref name="options"/>.</summary>
    public virtual AzureOpenAIClient Create(OpenAIOptions options)
    {
        ArgumentNullException.ThrowIfNull(options.Endpoint);
        var clientOptions = new AzureOpenAIClientOptions
        {
            RetryPolicy = new ThrottleAwareRetryPolicy(options.MaxRetries, TimeSpan.FromSeconds(options.MaxInActivityWaitSeconds)),
            NetworkTimeout = TimeSpan.FromSeconds(options.TimeoutSeconds),
        };
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
        => base.ShouldRetry(message, exception) && !TooLong(message);

    /// <inheritdoc />
    protected override async ValueTask<bool> ShouldRetryAsync(PipelineMessage message, Exception? exception)
        => await base.ShouldRetryAsync(message, exception).ConfigureAwait(false) && !TooLong(message);

    private bool TooLong(PipelineMessage message)
        => message.Response is { } r && ReadRetryAfter(r) is { } wait && wait > maxWait;
}
