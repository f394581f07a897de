using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Fanout.LocalDev;

/// <summary>The last lines a started Azurite wrote, and the wait for its "ready" line.</summary>
internal sealed partial class AzuriteOutput(ILogger? logger)
{
    const int MaxChars = 16_000;
    const string ReadyPrefix = "FANOUT-AZURITE READY control=";

    readonly Lock gate = new();
    readonly StringBuilder text = new();
    readonly TaskCompletionSource<int> ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Add(string? line, bool isError)
    {
        if (line is null)
        {
            return;
        }

        if (line.StartsWith(ReadyPrefix, StringComparison.Ordinal)
            && int.TryParse(line.AsSpan(ReadyPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            ready.TrySetResult(port);
        }

        lock (gate)
        {
            text.AppendLine(line);
            if (text.Length > MaxChars)
            {
                text.Remove(0, text.Length - MaxChars);
            }
        }

        if (logger is not null)
        {
            if (isError)
            {
                LogStandardError(logger, line);
            }
            else
            {
                LogStandardOutput(logger, line);
            }
        }
    }

    /// <summary>Waits for the ready line and returns the control port; throws with Azurite's output if it exits or times out.</summary>
    public async Task<int> WaitUntilReadyAsync(Process process, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var exited = process.WaitForExitAsync(deadline.Token);
        try
        {
            var first = await Task.WhenAny(ready.Task, exited).ConfigureAwait(false);
            if (first == ready.Task)
            {
                return await ready.Task.ConfigureAwait(false);
            }

            await exited.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Azurite did not start within {timeout.TotalSeconds:0} s.{Environment.NewLine}{this}");
        }

        // Let the asynchronous readers drain what the process wrote before it died.
        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        var written = ToString();
        throw new AzuriteStartException(
            $"Azurite exited with code {process.ExitCode} before it was ready.{Environment.NewLine}{written}",
            portInUse: written.Contains("EADDRINUSE", StringComparison.Ordinal));
    }

    public override string ToString()
    {
        lock (gate)
        {
            return text.ToString();
        }
    }

    [LoggerMessage(4, LogLevel.Debug, "azurite: {Line}")]
    private static partial void LogStandardOutput(ILogger logger, string line);

    [LoggerMessage(5, LogLevel.Warning, "azurite stderr: {Line}")]
    private static partial void LogStandardError(ILogger logger, string line);
}

/// <summary>Azurite did not start; <see cref="PortInUse"/> when it lost a race for one of its ports.</summary>
internal sealed class AzuriteStartException(string message, bool portInUse) : InvalidOperationException(message)
{
    public bool PortInUse { get; } = portInUse;
}
