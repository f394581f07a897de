using System.Globalization;

namespace Fanout.Core.Service;

/// <summary>
/// The query parameters of a request, transport-free: each name with all the values it was given. The readers
/// treat a parameter given twice as wrong (the caller's error message then names it).
/// </summary>
public sealed class QueryArgs
{
    private readonly IReadOnlyDictionary<string, IReadOnlyList<string>> _values;

    /// <summary>Query parameters from name → values (names compared case-insensitively, like ASP.NET Core's).</summary>
    public QueryArgs(IEnumerable<KeyValuePair<string, IReadOnlyList<string>>> values)
        => _values = new Dictionary<string, IReadOnlyList<string>>(values, StringComparer.OrdinalIgnoreCase);

    /// <summary>No parameters.</summary>
    public static QueryArgs Empty { get; } = new([]);

    /// <summary>Query parameters with one value each.</summary>
    public static QueryArgs Of(params (string Name, string Value)[] values)
        => new(values.Select(v => KeyValuePair.Create(v.Name, (IReadOnlyList<string>)[v.Value])));

    /// <summary>True when <paramref name="name"/> was given at all.</summary>
    public bool Has(string name) => _values.ContainsKey(name);

    /// <summary>
    /// Absent: true, <paramref name="value"/> null. Given once: true with the value. Given twice or more: false.
    /// </summary>
    public bool TryGetSingle(string name, out string? value)
    {
        value = null;
        if (!_values.TryGetValue(name, out var values))
        {
            return true;
        }

        if (values.Count != 1)
        {
            return false;
        }

        value = values[0];
        return true;
    }

    /// <summary>All values of <paramref name="name"/> joined by commas (empty when absent), as ASP.NET Core's <c>StringValues.ToString()</c>.</summary>
    public string Joined(string name) => _values.TryGetValue(name, out var values) ? string.Join(',', values) : string.Empty;

    /// <summary>Reads a boolean (<c>true</c>/<c>false</c>); false when given but not exactly one boolean.</summary>
    public bool TryGetBool(string name, out bool? value)
    {
        value = null;
        if (!TryGetSingle(name, out var text))
        {
            return false;
        }

        if (text is null)
        {
            return true;
        }

        if (!bool.TryParse(text, out var b))
        {
            return false;
        }

        value = b;
        return true;
    }

    /// <summary>Reads a non-negative decimal integer in [<paramref name="min"/>, <paramref name="max"/>]; false when given but not one.</summary>
    public bool TryGetInt64(string name, long min, long max, out long? value)
    {
        value = null;
        if (!TryGetSingle(name, out var text))
        {
            return false;
        }

        if (text is null)
        {
            return true;
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
        {
            return false;
        }

        value = v;
        return true;
    }
}
