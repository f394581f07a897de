namespace Fanout.Core.Attempts;

/// <summary>Classifies an attempt from its answer or the exception that replaced it.</summary>
public static class AttemptKinds
{
    /// <summary>The kind of an attempt that got <paramref name="status"/> (0 = no answer) or threw <paramref name="error"/>.</summary>
    public static AttemptKind Classify(int status, Exception? error) => status switch
    {
        429 => AttemptKind.RateLimited,
        >= 500 => AttemptKind.Http5xx,
        >= 400 => AttemptKind.Http4xx,
        > 0 => AttemptKind.Succeeded,
        _ => IsTimeout(error) ? AttemptKind.Timeout : AttemptKind.Connection,
    };

    /// <summary>The tag value of a kind on the <c>fanout.llm.attempts</c> metric, as in <c>failures_by_kind</c>.</summary>
    public static string Name(AttemptKind kind) => kind switch
    {
        AttemptKind.Succeeded => "succeeded",
        AttemptKind.RateLimited => "rate_limited",
        AttemptKind.Http4xx => "http_4xx",
        AttemptKind.Http5xx => "http_5xx",
        AttemptKind.Timeout => "timeout",
        _ => "connection",
    };

    private static bool IsTimeout(Exception? error)
    {
        // The pipeline's network timeout surfaces as a cancellation (often wrapping a TimeoutException); a refused or
        // reset connection as an HttpRequestException / IOException / SocketException.
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is TimeoutException or OperationCanceledException)
            {
                return true;
            }

            if (e is AggregateException { InnerExceptions.Count: > 0 } all && all.InnerExceptions.Any(IsTimeout))
            {
                return true;
            }
        }

        return false;
    }
}
