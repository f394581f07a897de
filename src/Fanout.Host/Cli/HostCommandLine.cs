using System.CommandLine;

namespace Fanout.Host.Cli;

/// <summary>
/// The host's command line: with no command it serves the API (settings as <c>--Key=value</c>, read by the ASP.NET Core
/// configuration); <c>run</c> runs one batch (<see cref="RunCommand"/>). <c>--help</c> works on each.
/// </summary>
public static class HostCommandLine
{
    /// <summary>Whether the command line is for this parser (a command or a help request) rather than settings for serving.</summary>
    public static bool Handles(string[] args) =>
        args is ["run", ..] or ["--help" or "-h" or "-?" or "help", ..] or ["--version"];

    /// <summary>Builds the root command; <paramref name="hostSettings"/> (<c>--Key=value</c>) go to the host that <c>run</c> starts.</summary>
    public static RootCommand Create(IReadOnlyList<string>? hostSettings = null)
    {
        var root = new RootCommand(
            "Fanout portable host. With no command it serves the batch API, the OpenAI-compatible API and the web page; " +
            "settings are given as --Key=value (e.g. --Fanout:Storage:ConnectionString=...), as environment variables " +
            "(Fanout__Storage__ConnectionString) or in appsettings.json. See docs/configuration.md.")
        {
            RunCommand.Create(hostSettings ?? []),
        };
        return root;
    }

    /// <summary>Parses and runs; exceptions reach the caller (which reports configuration errors in one line).</summary>
    public static Task<int> InvokeAsync(string[] args, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        var (settings, rest) = HostSettingArgs.Split(args);
        var parsed = Create(settings).Parse(rest, new ParserConfiguration { ResponseFileTokenReplacer = null });
        return parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cancellationToken);
    }
}
