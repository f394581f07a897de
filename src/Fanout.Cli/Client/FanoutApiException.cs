using System.Net;

namespace Fanout.Cli.Client;

/// <summary>A call the service refused, with its <c>{"error": {"code", "message"}}</c>.</summary>
public sealed class FanoutApiException(HttpStatusCode status, string code, string message) : Exception(message)
{
    /// <summary>The HTTP status.</summary>
    public HttpStatusCode Status { get; } = status;

    /// <summary>The error code of the answer.</summary>
    public string Code { get; } = code;
}
