using System.ClientModel.Primitives;
using Fanout.Core.Storage;
using Fanout.Core.Telemetry;

namespace Fanout.Core.Attempts;

/// <summary>
/// Sees every HTTP attempt to a model endpoint (a per-try policy of the client pipeline, after the throttle gate and
/// next to the transport, so the SDK's own retries pass through it too) and counts it, once, for every figure Fanout
/// reports: the batch's journal (<see cref="AttemptLedger"/>, through the <see cref="AttemptScope"/> of the call) and
/// the <c>fanout.llm.attempts</c> / <c>fanout.llm.rate_limited</c> metrics. A call that the throttle gate holds back is
/// not an attempt: it never reaches this policy.
/// </summary>
/// <param name="member">The pool member this client calls; null = the deployment named in the request's path.</param>
public sealed class AttemptCountingPolicy(string? member = null) : PipelinePolicy
{
    /// <inheritdoc />
    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        ArgumentNullException.ThrowIfNull(message);
        var name = member ?? DeploymentOf(message.Request.Uri);
        var scope = AttemptScope.Current;
        scope?.Batch.StartingAsync(name).GetAwaiter().GetResult();
        Exception? error = null;
        try
        {
            ProcessNext(message, pipeline, currentIndex);
        }
        catch (Exception e)
        {
            error = e;
            throw;
        }
        finally
        {
            Ended(scope, name, message, error);
        }
    }

    /// <inheritdoc />
    public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        ArgumentNullException.ThrowIfNull(message);
        var name = member ?? DeploymentOf(message.Request.Uri);
        var scope = AttemptScope.Current;
        if (scope is not null)
        {
            // Durable before it is sent: a crash from here on cannot lose a call the service may have counted.
            await scope.Batch.StartingAsync(name).ConfigureAwait(false);
        }

        Exception? error = null;
        try
        {
            await ProcessNextAsync(message, pipeline, currentIndex).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            error = e;
            throw;
        }
        finally
        {
            Ended(scope, name, message, error);
        }
    }

    /// <summary>The deployment of an Azure OpenAI request path (<c>…/deployments/{name}/…</c>); "default" otherwise.</summary>
    internal static string DeploymentOf(Uri? uri)
    {
        var segments = uri?.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries) ?? [];
        var at = Array.FindIndex(segments, s => s.Equals("deployments", StringComparison.OrdinalIgnoreCase));
        return at >= 0 && at + 1 < segments.Length ? Uri.UnescapeDataString(segments[at + 1]) : "default";
    }

    private static void Ended(AttemptScope? scope, string name, PipelineMessage message, Exception? error)
    {
        var status = error is null ? message.Response?.Status ?? 0 : 0;
        var kind = AttemptKinds.Classify(status, error);
        var (prompt, completion) = kind == AttemptKind.Succeeded ? Usage(message) : (0, 0);
        scope?.Batch.Ended(name, kind, prompt, completion);
        FanoutTelemetry.Attempts.Add(1, new("fanout.deployment", name), new("fanout.attempt.outcome", AttemptKinds.Name(kind)));
        if (kind == AttemptKind.RateLimited)
        {
            FanoutTelemetry.RateLimited.Add(1);
        }
    }

    private static (int Prompt, int Completion) Usage(PipelineMessage message)
    {
        try
        {
            return message.Response?.Content is { } content ? OutputLines.ReadUsage(content.ToMemory().Span) : (0, 0);
        }
        catch (InvalidOperationException)
        {
            // A streamed (unbuffered) answer: its usage is not read here.
            return (0, 0);
        }
    }
}
