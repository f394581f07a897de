namespace Fanout.Core.Llm;

/// <summary>
/// The deployment's throttle gate stays closed longer than a call may wait: the call was not sent. Returned by
/// <see cref="AzureOpenAIChatInvoker"/> as a 429 with <see cref="RetryAfter"/>, to be waited out by a durable timer.
/// </summary>
public sealed class ThrottleGateClosedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ThrottleGateClosedException(string deployment, TimeSpan retryAfter)
        : base($"Deployment '{deployment}' is throttled for another {retryAfter.TotalMilliseconds:0} ms; the call was not sent.")
    {
        Deployment = deployment;
        RetryAfter = retryAfter;
    }

    /// <summary>The throttled deployment.</summary>
    public string Deployment { get; }

    /// <summary>How long the gate stays closed.</summary>
    public TimeSpan RetryAfter { get; }
}
