using Microsoft.AspNetCore.Http;

namespace Fanout.Http;

/// <summary>Another result with one response header set first (e.g. <c>Location</c>, <c>Fanout-Complete</c>).</summary>
public sealed class HeaderResult(IResult inner, string name, string value) : IResult
{
    /// <summary>The result that writes the status and body.</summary>
    public IResult Inner { get; } = inner;

    /// <summary>The header's name.</summary>
    public string Name { get; } = name;

    /// <summary>The header's value.</summary>
    public string Value { get; } = value;

    /// <inheritdoc />
    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        httpContext.Response.Headers[Name] = Value;
        return Inner.ExecuteAsync(httpContext);
    }
}
