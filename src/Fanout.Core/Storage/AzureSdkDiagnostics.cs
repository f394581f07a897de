namespace Fanout.Core.Storage;

/// <summary>
/// The one setting of Azure SDK client diagnostics, for Fanout's blob client and the task hub's storage clients alike:
/// no per-request log events (Microsoft.Extensions.Azure forwards every event to ILogger, and Azure.Core logs are kept
/// to errors, so they would be raised only to be dropped) and no spans (the exported traces hold Fanout's own only).
/// </summary>
public static class AzureSdkDiagnostics
{
    /// <summary>Turns <paramref name="options"/>' per-request log events and spans off; returns it.</summary>
    public static T Quiet<T>(T options)
        where T : Azure.Core.ClientOptions
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Diagnostics.IsLoggingEnabled = false;
        options.Diagnostics.IsDistributedTracingEnabled = false;
        return options;
    }
}
