using System.Globalization;
using Fanout.Core.Service;
using Microsoft.AspNetCore.Http;

namespace Fanout.Http;

/// <summary>A <see cref="ServiceError"/> over HTTP, written once: the status code of its kind and the <c>{"error": {"code", "message"}}</c> body.</summary>
public static class ErrorResults
{
    /// <summary>The status code of an error kind.</summary>
    public static int StatusCode(ErrorKind kind) => kind switch
    {
        ErrorKind.Invalid => StatusCodes.Status400BadRequest,
        ErrorKind.NotFound => StatusCodes.Status404NotFound,
        ErrorKind.Conflict => StatusCodes.Status409Conflict,
        ErrorKind.TooLarge => StatusCodes.Status413PayloadTooLarge,
        ErrorKind.UnsupportedMediaType => StatusCodes.Status415UnsupportedMediaType,
        ErrorKind.Unauthorized => StatusCodes.Status401Unauthorized,
        ErrorKind.RateLimited => StatusCodes.Status429TooManyRequests,
        ErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown error kind."),
    };

    /// <summary>The response of an error (with <c>Retry-After</c> when the error says when to come back).</summary>
    public static IResult ToResult(ServiceError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        IResult json = TypedResults.Json(new ErrorEnvelope(new ErrorBody(error.Code, error.Message)), ServiceJson.Options, statusCode: StatusCode(error.Kind));
        return error.RetryAfter is { } after
            ? new HeaderResult(json, "Retry-After", Math.Max(1, (long)Math.Ceiling(after.TotalSeconds)).ToString(CultureInfo.InvariantCulture))
            : json;
    }

    /// <summary>Writes an error straight to a response (for middleware that answers before any route).</summary>
    public static Task WriteAsync(HttpContext context, ServiceError error)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ToResult(error).ExecuteAsync(context);
    }

    /// <summary>The body: <c>{"error": {…}}</c>.</summary>
    private sealed record ErrorEnvelope(ErrorBody Error);

    /// <summary>The error object: <c>{"code": "…", "message": "…"}</c>.</summary>
    private sealed record ErrorBody(string Code, string Message);
}
