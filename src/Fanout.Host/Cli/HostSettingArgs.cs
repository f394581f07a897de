namespace Fanout.Host.Cli;

/// <summary>
/// Host settings on a command line (configuration keys: <c>--Fanout:Storage:ConnectionString=…</c> or
/// <c>--Fanout:Storage:ConnectionString …</c>), taken apart from the command's own tokens before parsing, so that a
/// setting is never read as the command's argument and the configuration reads every pair the same way.
/// </summary>
internal static class HostSettingArgs
{
    /// <summary>Splits <paramref name="args"/> into settings (as <c>--Key=value</c>) and the rest, each in order.</summary>
    public static (IReadOnlyList<string> Settings, IReadOnlyList<string> Others) Split(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var settings = new List<string>();
        var rest = new List<string>(args.Count);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!IsSetting(arg))
            {
                rest.Add(arg);
            }
            else if (!arg.Contains('=', StringComparison.Ordinal) && i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                settings.Add($"{arg}={args[++i]}");
            }
            else
            {
                settings.Add(arg);
            }
        }

        return (settings, rest);
    }

    /// <summary>Whether <paramref name="arg"/> names a configuration key (<c>--Section:Key</c>, before any <c>=</c>).</summary>
    public static bool IsSetting(string arg)
    {
        if (!arg.StartsWith("--", StringComparison.Ordinal))
        {
            return false;
        }

        var equals = arg.IndexOf('=', StringComparison.Ordinal);
        return (equals < 0 ? arg.AsSpan(2) : arg.AsSpan(2, equals - 2)).Contains(':');
    }
}
