using Fanout.Core.Service;
using Microsoft.AspNetCore.Http;

namespace Fanout.Http;

/// <summary>A writer-backed <see cref="ContentBody"/> as a 200 response (stream-backed ones go through <c>TypedResults.Stream</c>).</summary>
public sealed class ContentBodyResult(ContentBody body) : IResult
{
    /// <summary>The body.</summary>
    public ContentBody Body { get; } = body;

    /// <inheritdoc />
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        await using (Body.ConfigureAwait(false))
        {
            httpContext.Response.StatusCode = StatusCodes.Status200OK;
            httpContext.Response.ContentType = Body.ContentType;
            await Body.WriteToAsync(httpContext.Response.Body, httpContext.RequestAborted).ConfigureAwait(false);
        }
    }
}
