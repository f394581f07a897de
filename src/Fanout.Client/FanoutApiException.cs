using System.Net;

namespace Fanout.Client;

/// <summary>A call the service refused, with the code and message of its <c>{"error": {"code", "message"}}</c>.</summary>
public sealed class FanoutApiException : Exception
{
    /// <summary>The code of a 401 whose body carries no error object.</summary>
    public const string UnauthorizedCode = "unauthorized";

    /// <summary>Creates the exception for a refused call.</summary>
    public FanoutApiException(HttpStatusCode status, string code, string message, string body = "")
        : base(message)
    {
        Status = status;
        Code = code;
        Body = body;
    }

    /// <summary>The HTTP status.</summary>
    public HttpStatusCode Status { get; }

    /// <summary>The error code of the answer (the contract's, else <c>unauthorized</c> or <c>http_NNN</c>).</summary>
    public string Code { get; }

    /// <summary>The body of the answer, as the service wrote it.</summary>
    public string Body { get; }

    /// <summary>Whether the answer carried an error object (else the code and message come from the status alone).</summary>
    public bool HasErrorObject { get; init; }
}
