namespace Fanout.Cli.Commands;

/// <summary>What the <c>fanout</c> command's exit code says.</summary>
public static class ExitCodes
{
    /// <summary>Done, and every line (of the batch, or of the results fetched) succeeded.</summary>
    public const int Success = 0;

    /// <summary>Done, but some lines failed (or the batch was cancelled, or failed as a whole).</summary>
    public const int LinesFailed = 1;

    /// <summary>Nothing done: bad arguments, the service could not be reached or refused the call.</summary>
    public const int Error = 2;
}
