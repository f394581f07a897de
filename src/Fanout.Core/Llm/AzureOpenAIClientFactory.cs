using System.ClientModel;
using System.ClientModel.Primitives;
using Azure.AI.OpenAI;
using Fanout.Core.Options;

namespace Fanout.Core.Llm;

/// <summary>
/// Builds the <see cref="AzureOpenAIClient"/>s by hand, not through <c>Microsoft.Extensions.Azure</c> (which builds the
/// blob client), because they are one per pool member, each with a gate of its own: Fanout's pipeline settings are
/// <see cref="ThrottleAwareRetryPolicy"/> and, per try, a <see cref="DeploymentThrottleGate"/> (shared by every request
/// of that client).
/// </summary>
/// <remarks>
/// Why not <c>AddClient&lt;AzureOpenAIClient, AzureOpenAIClientOptions&gt;</c> with named clients: the members are only
/// known once <see cref="Pool.PoolOptions"/> is read, after registration (names at registration would need a raw
/// configuration read in <c>AddFanoutCore</c>); the member's router reads the same gate object its pipeline holds; key
/// members use an <c>ApiKeyCredential</c>, not a <c>TokenCredential</c>; and <see cref="AzureOpenAIClientOptions"/> is a
/// System.ClientModel type that the library's <c>ConfigureDefaults</c> (Azure.Core <c>ClientOptions</c>) does not reach.
/// </remarks>
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
