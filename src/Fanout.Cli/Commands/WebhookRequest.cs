namespace Fanout.Cli.Commands;

/// <summary>
/// An HTTP request as a receiver would dump it: an optional request line (<c>POST /hook HTTP/1.1</c>), header lines,
/// an empty line, then the body as sent.
/// </summary>
/// <param name="Headers">Header values by lower-cased name.</param>
/// <param name="Body">The body, exactly as read.</param>
public sealed record WebhookRequest(IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>Parses <paramref name="text"/>; null when it has no empty line after its headers.</summary>
    public static WebhookRequest? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var position = 0;
        var first = true;
        while (position < text.Length)
        {
            var end = text.IndexOf('\n', position);
            if (end < 0)
            {
                return null;
            }

            var line = text[position..end].TrimEnd('\r');
            position = end + 1;
            if (line.Length == 0)
            {
                return new WebhookRequest(headers, text[position..]);
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (first && (colon < 0 || line.Contains(" HTTP/", StringComparison.Ordinal)))
            {
                // The request line.
                first = false;
                continue;
            }

            first = false;
            if (colon <= 0)
            {
                return null;
            }

            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        return null;
    }
}
