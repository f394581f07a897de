using Fanout.Core.Service;
using Microsoft.AspNetCore.Http;

namespace Fanout.Core.Api;

/// <summary>
/// What is left of the old HTTP-shaped API, only for the OpenAI-compatible surface until part 11d converts it to a
/// transport-free service. Delete this file (and Core's ASP.NET Core reference) when nothing calls it.
/// </summary>
public static class BatchApi
{
    /// <summary>True when <paramref name="id"/> has the shape of a batch id (<see cref="BatchIds.IsValid"/>).</summary>
    public static bool IsValidId(string id) => BatchIds.IsValid(id);

    /// <summary>A JSON error response (Fanout.Http's <c>ErrorResults</c> is the transport's own).</summary>
    public static IResult Error(int status, string code, string message)
        => Results.Json(new { error = new Models.ApiError(code, message) }, ServiceJson.Options, statusCode: status);
}
