namespace Fanout.Core.Service;

/// <summary>What kind of failure a <see cref="ServiceError"/> is, without naming a transport (Fanout.Http maps it to a status code once).</summary>
public enum ErrorKind
{
    /// <summary>The input is wrong (HTTP 400).</summary>
    Invalid,

    /// <summary>The thing asked for does not exist (HTTP 404).</summary>
    NotFound,

    /// <summary>The thing exists but is in the wrong state for the request (HTTP 409).</summary>
    Conflict,

    /// <summary>The input is over a size limit (HTTP 413).</summary>
    TooLarge,

    /// <summary>The body's format is not one the service reads (HTTP 415).</summary>
    UnsupportedMediaType,

    /// <summary>The caller did not prove who it is (HTTP 401).</summary>
    Unauthorized,

    /// <summary>Too many requests; <see cref="ServiceError.RetryAfter"/> says when to come back (HTTP 429).</summary>
    RateLimited,

    /// <summary>A dependency does not answer (HTTP 503).</summary>
    Unavailable,
}
