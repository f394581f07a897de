namespace Fanout.Host.Cli;

/// <summary>Host settings given on a command line after the command's own options (<c>--Key=value</c> or <c>--Key value</c>).</summary>
internal static class HostSettingArgs
{
    /// <summary>
    /// Joins <c>--Key:Sub value</c> pairs (configuration keys) into <c>--Key:Sub=value</c>, so that a value is never taken
    /// for the command's own argument and the configuration reads every pair the same way.
    /// </summary>
    public static IReadOnlyList<string> Normalize(IReadOnlyList<string> args)
    {
        var joined = new List<string>(args.Count);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (IsSetting(arg) && !arg.Contains('=', StringComparison.Ordinal)
                && i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                joined.Add($"{arg}={args[++i]}");
            }
            else
            {
                joined.Add(arg);
            }
        }

        return joined;
    }

    /// <summary>Whether <paramref name="arg"/> names a host setting (a configuration key such as <c>--Fanout:Storage:ConnectionString</c>).</summary>
    public static bool IsSetting(string arg) => arg.StartsWith("--", StringComparison.Ordinal) && arg.Contains(':', StringComparison.Ordinal);
}
