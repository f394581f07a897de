using Fanout.Core.Service;
using Microsoft.AspNetCore.Http;

namespace Fanout.Http;

/// <summary>Service results as HTTP responses, written once for both hosts: values as JSON, bodies as streams, errors through <see cref="ErrorResults"/>.</summary>
public static class ServiceResults
{
    /// <summary>The value through <paramref name="success"/>, or the error's response.</summary>
    public static IResult ToHttp<T>(this ServiceResult<T> result, Func<T, IResult> success)
    {
        ArgumentNullException.ThrowIfNull(success);
        return result.IsSuccess ? success(result.Value) : ErrorResults.ToResult(result.Error);
    }

    /// <summary>The value as JSON with <paramref name="statusCode"/> (200 unless told), or the error's response.</summary>
    public static IResult ToHttp<T>(this ServiceResult<T> result, int statusCode = StatusCodes.Status200OK)
        => result.ToHttp(value => Json(value, statusCode));

    /// <summary>The value as JSON in the services' shape (snake_case, nulls written).</summary>
    public static IResult Json<T>(T value, int statusCode = StatusCodes.Status200OK)
        => TypedResults.Json(value, ServiceJson.Options, statusCode: statusCode);

    /// <summary>The value as <c>202 Accepted</c> JSON with a <c>Location</c>.</summary>
    public static IResult Accepted<T>(T value, string location)
        => new HeaderResult(Json(value, StatusCodes.Status202Accepted), "Location", location);

    /// <summary>A JSONL or blob body: stream-backed ones as <c>TypedResults.Stream</c>, writer-backed ones written as they are produced.</summary>
    public static IResult Content(ContentBody body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return body.Stream is { } stream ? TypedResults.Stream(stream, body.ContentType) : new ContentBodyResult(body);
    }

    /// <summary>A live stream as server-sent events.</summary>
    public static IResult Events<T>(EventStream<T> stream)
        where T : class
        => new ServerSentEventsResult<T>(stream);
}
