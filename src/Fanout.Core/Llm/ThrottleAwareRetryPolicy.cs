using System.ClientModel.Primitives;

namespace Fanout.Core.Llm;

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
