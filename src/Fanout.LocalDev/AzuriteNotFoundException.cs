namespace Fanout.LocalDev;

/// <summary>No Azurite was found in any of the places <see cref="AzuriteLocator"/> looks; the message says what to do.</summary>
public sealed class AzuriteNotFoundException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AzuriteNotFoundException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public AzuriteNotFoundException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public AzuriteNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
