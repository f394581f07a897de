namespace Fanout.Core.Service;

/// <summary>
/// An error as a value: the contract's <paramref name="Code"/> and <paramref name="Message"/> (API.md's
/// <c>{"error": {"code", "message"}}</c>) and a transport-free <paramref name="Kind"/>.
/// </summary>
/// <param name="Kind">What kind of failure (the transport picks the status code from it).</param>
/// <param name="Code">The contract's machine-readable code, e.g. <c>batch_not_found</c>.</param>
/// <param name="Message">The human-readable message.</param>
/// <param name="RetryAfter">When to come back, for <see cref="ErrorKind.RateLimited"/> and <see cref="ErrorKind.Unavailable"/>.</param>
public sealed record ServiceError(ErrorKind Kind, string Code, string Message, TimeSpan? RetryAfter = null)
{
    /// <summary>A 400-kind error.</summary>
    public static ServiceError Invalid(string code, string message) => new(ErrorKind.Invalid, code, message);

    /// <summary>A 400 <c>invalid_parameter</c>: a query parameter or form field is wrong.</summary>
    public static ServiceError InvalidParameter(string message) => Invalid("invalid_parameter", message);

    /// <summary>A 400 <c>invalid_body</c>: the body cannot be read as the request it claims to be.</summary>
    public static ServiceError InvalidBody(string message) => Invalid("invalid_body", message);

    /// <summary>A 404-kind error.</summary>
    public static ServiceError NotFound(string code, string message) => new(ErrorKind.NotFound, code, message);

    /// <summary>A 409-kind error.</summary>
    public static ServiceError Conflict(string code, string message) => new(ErrorKind.Conflict, code, message);

    /// <summary>A 413-kind error.</summary>
    public static ServiceError TooLarge(string code, string message) => new(ErrorKind.TooLarge, code, message);

    /// <summary>A 415 <c>unsupported_media_type</c>.</summary>
    public static ServiceError UnsupportedMediaType(string message) => new(ErrorKind.UnsupportedMediaType, "unsupported_media_type", message);

    /// <summary>A 401 <c>unauthorized</c>.</summary>
    public static ServiceError Unauthorized(string message) => new(ErrorKind.Unauthorized, "unauthorized", message);
}
