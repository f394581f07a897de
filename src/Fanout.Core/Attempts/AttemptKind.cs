namespace Fanout.Core.Attempts;

/// <summary>How one HTTP attempt to a model endpoint ended.</summary>
public enum AttemptKind
{
    /// <summary>2xx (or any status below 400).</summary>
    Succeeded,

    /// <summary>429.</summary>
    RateLimited,

    /// <summary>Any other 4xx.</summary>
    Http4xx,

    /// <summary>A 5xx.</summary>
    Http5xx,

    /// <summary>No answer in time.</summary>
    Timeout,

    /// <summary>No answer: refused, reset or dropped connection.</summary>
    Connection,
}
