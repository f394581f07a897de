using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Fanout.Core.Cache;

/// <summary>
/// One spelling per JSON value, after RFC 8785 (JSON Canonicalization Scheme), so that two request bodies that mean the
/// same thing give the same cache key: object members sorted by their names' UTF-16 code units, no whitespace, numbers
/// as ECMAScript writes a double (<c>1.0</c>, <c>1e0</c> and <c>10E-1</c> are all <c>1</c>), strings with the fewest
/// escapes (<c>"\u0041"</c> is <c>"A"</c>; only <c>"</c>, <c>\</c> and control characters are escaped).
/// </summary>
/// <remarks>
/// Like RFC 8785, a number is read as an IEEE double: integers beyond 2^53 that differ only past its precision share a
/// spelling. A string holding a lone surrogate (which JSON allows as an escape) keeps its escape as written.
/// </remarks>
public static class CanonicalJson
{
    /// <summary>The canonical UTF-8 bytes of <paramref name="json"/> (one JSON value).</summary>
    /// <exception cref="JsonException">The input is not JSON.</exception>
    public static byte[] Canonicalize(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using var doc = JsonDocument.ParseValue(ref reader);
        var buffer = new ArrayBufferWriter<byte>(json.Length);
        Write(doc.RootElement, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The canonical text of <paramref name="json"/> (for tests and diagnostics).</summary>
    public static string Canonicalize(string json) => Encoding.UTF8.GetString(Canonicalize(Encoding.UTF8.GetBytes(json)));

    /// <summary>Writes the canonical UTF-8 bytes of <paramref name="value"/> to <paramref name="output"/>.</summary>
    public static void Write(JsonElement value, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                var members = new List<JsonProperty>();
                foreach (var p in value.EnumerateObject())
                {
                    members.Add(p);
                }

                // Stable: duplicate names (which JSON allows) keep their order.
                var sorted = members.Select((p, i) => (p, i)).OrderBy(m => m.p.Name, StringComparer.Ordinal).ThenBy(m => m.i);
                output.Write("{"u8);
                var first = true;
                foreach (var (p, _) in sorted)
                {
                    if (!first)
                    {
                        output.Write(","u8);
                    }

                    first = false;
                    WriteString(p.Name, output);
                    output.Write(":"u8);
                    Write(p.Value, output);
                }

                output.Write("}"u8);
                break;
            case JsonValueKind.Array:
                output.Write("["u8);
                var firstItem = true;
                foreach (var item in value.EnumerateArray())
                {
                    if (!firstItem)
                    {
                        output.Write(","u8);
                    }

                    firstItem = false;
                    Write(item, output);
                }

                output.Write("]"u8);
                break;
            case JsonValueKind.String:
                string text;
                try
                {
                    text = value.GetString()!;
                }
                catch (InvalidOperationException)
                {
                    // A lone surrogate escape: no UTF-8 spelling exists, keep the one given.
                    output.Write(Encoding.UTF8.GetBytes(value.GetRawText()));
                    break;
                }

                WriteString(text, output);
                break;
            case JsonValueKind.Number:
                // Beyond a double's range (1e400) there is no ECMAScript spelling: the number keeps its own.
                output.Write(value.TryGetDouble(out var number) && double.IsFinite(number)
                    ? Encoding.ASCII.GetBytes(FormatNumber(number))
                    : Encoding.UTF8.GetBytes(value.GetRawText()));
                break;
            case JsonValueKind.True:
                output.Write("true"u8);
                break;
            case JsonValueKind.False:
                output.Write("false"u8);
                break;
            default:
                output.Write("null"u8);
                break;
        }
    }

    /// <summary>A double as ECMAScript's <c>Number.prototype.toString</c> writes it (RFC 8785, 3.2.2.3).</summary>
    public static string FormatNumber(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), "JSON has no spelling for NaN or infinity.");
        }

        if (value == 0)
        {
            return "0";
        }

        // .NET's "R" gives the shortest digits that round-trip, as ECMAScript's algorithm does; only the layout differs.
        var r = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var e = r.IndexOfAny(['E', 'e']);
        var mantissa = e < 0 ? r : r[..e];
        var exponent = e < 0 ? 0 : int.Parse(r[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        var digits = dot < 0 ? mantissa : mantissa.Remove(dot, 1);
        var point = (dot < 0 ? mantissa.Length : dot) + exponent;
        var lead = digits.Length - digits.TrimStart('0').Length;
        digits = digits[lead..];
        point -= lead;
        digits = digits.TrimEnd('0');

        // value = 0.digits × 10^point; ECMAScript's n is point, k is the digit count.
        var k = digits.Length;
        var n = point;
        var sb = new StringBuilder(value < 0 ? "-" : string.Empty);
        if (k <= n && n <= 21)
        {
            sb.Append(digits).Append('0', n - k);
        }
        else if (0 < n && n <= 21)
        {
            sb.Append(digits, 0, n).Append('.').Append(digits, n, k - n);
        }
        else if (-6 < n && n <= 0)
        {
            sb.Append("0.").Append('0', -n).Append(digits);
        }
        else
        {
            sb.Append(digits[0]);
            if (k > 1)
            {
                sb.Append('.').Append(digits, 1, k - 1);
            }

            var exp = n - 1;
            sb.Append('e').Append(exp < 0 ? '-' : '+').Append(Math.Abs(exp).ToString(CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    private static void WriteString(string text, IBufferWriter<byte> output)
    {
        var sb = new StringBuilder(text.Length + 2);
        sb.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append('"');
        output.Write(Encoding.UTF8.GetBytes(sb.ToString()));
    }
}
