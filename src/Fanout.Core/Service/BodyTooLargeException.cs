namespace Fanout.Core.Service;

/// <summary>
/// Thrown by a transport's request-body stream when the transport itself refused the body as too large (e.g. a
/// server request size limit), so a service can answer with its own 413 without knowing the transport.
/// </summary>
public sealed class BodyTooLargeException : IOException
{
    /// <summary>Creates the exception.</summary>
    public BodyTooLargeException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public BodyTooLargeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the transport's exception.</summary>
    public BodyTooLargeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
