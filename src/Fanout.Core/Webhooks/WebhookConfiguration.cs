using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Fanout.Core.Webhooks;

/// <summary>
/// Reads <c>Fanout:Webhooks:{i}</c> by hand (like the pool), so every error names the receiver's own key, and
/// <c>:Events</c> may be a list or one comma-separated value.
/// </summary>
public static class WebhookConfiguration
{
    /// <summary>Reads the receivers and the schedule into <paramref name="options"/>; problems go to its <see cref="WebhookOptions.Errors"/>.</summary>
    public static void Read(IConfiguration configuration, WebhookOptions options)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        var section = configuration.GetSection(WebhookOptions.SectionName);
        foreach (var child in section.GetChildren())
        {
            if (int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                ReadEndpoint(child, index, options);
            }
        }

        options.Endpoints.Sort((a, b) => a.Index.CompareTo(b.Index));
        if (section["RetryDelaysSeconds"] is { Length: > 0 } delays)
        {
            var parsed = delays.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(d => double.TryParse(d, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s >= 0 ? TimeSpan.FromSeconds(s) : (TimeSpan?)null)
                .ToList();
            if (parsed.Count == 0 || parsed.Any(d => d is null))
            {
                options.Errors.Add($"{WebhookOptions.SectionName}:RetryDelaysSeconds must be a comma-separated list of non-negative seconds, e.g. 5,60,300,1800.");
            }
            else
            {
                options.RetryDelays = parsed.Select(d => d!.Value).ToList();
            }
        }

        if (section["TimeoutSeconds"] is { Length: > 0 } timeout)
        {
            if (double.TryParse(timeout, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 && s <= 300)
            {
                options.Timeout = TimeSpan.FromSeconds(s);
            }
            else
            {
                options.Errors.Add($"{WebhookOptions.SectionName}:TimeoutSeconds must be a number of seconds between 0 and 300.");
            }
        }
    }

    private static void ReadEndpoint(IConfigurationSection child, int index, WebhookOptions options)
    {
        var key = child.Path;
        if (!Uri.TryCreate(child["Url"], UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            options.Errors.Add($"{key}:Url must be an absolute http(s) URL.");
            return;
        }

        var secret = child["Secret"];
        if (!WebhookSigner.IsValidSecret(secret))
        {
            options.Errors.Add($"{key}:Secret must be a Standard Webhooks secret: whsec_ followed by base64 (24 to 64 bytes).");
            return;
        }

        HashSet<string>? events = null;
        var eventsSection = child.GetSection("Events");
        var listed = eventsSection.Value is { } one
            ? one.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : eventsSection.GetChildren().Select(c => c.Value?.Trim()).OfType<string>().Where(v => v.Length > 0).ToArray();
        if (listed.Length > 0)
        {
            if (listed.FirstOrDefault(e => !WebhookEventTypes.All.Contains(e)) is { } unknown)
            {
                options.Errors.Add($"{key}:Events has '{unknown}'; the event types are {string.Join(", ", WebhookEventTypes.All)}.");
                return;
            }

            events = new HashSet<string>(listed, StringComparer.Ordinal);
        }

        options.Endpoints.Add(new WebhookEndpoint(index, url, secret!, events));
    }
}
