using System.ComponentModel.DataAnnotations;
using Fanout.LocalDev;

namespace Fanout.Host.Extensions;

/// <summary>The portable host's own settings (<c>Fanout:Host:*</c>, docs/configuration.md); read nowhere as raw strings.</summary>
public sealed class FanoutHostOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Fanout:Host";

    /// <summary>The default listen address, like <c>func start</c>.</summary>
    public const string DefaultUrls = "http://127.0.0.1:7071";

    /// <summary>Listen addresses (<c>;</c>-separated) when neither <c>urls</c> nor <c>ASPNETCORE_URLS</c> is set; null = <see cref="DefaultUrls"/>.</summary>
    public string? Urls { get; set; }

    /// <summary>The access key every route but <c>/healthz</c> and the page's files needs; required to listen beyond loopback.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The embedded Azurite's data folder; null = <c>.fanout/azurite</c> in the checkout, else the working directory.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>The embedded Azurite (<c>Fanout:Host:Azurite:*</c>).</summary>
    public AzuriteSettings Azurite { get; set; } = new();

    /// <summary>Whether the blob-drop watcher runs (default true).</summary>
    public bool WatchBlobs { get; set; } = true;

    /// <summary>How often the blob-drop watcher looks at the input container, in milliseconds (default 2000).</summary>
    [Range(10, 3_600_000, ErrorMessage = "Fanout:Host:BlobPollMilliseconds must be between 10 and 3600000.")]
    public int BlobPollMilliseconds { get; set; } = 2000;

    /// <summary>Ctrl+C / SIGTERM: the time to drain (half of it) and stop in order; the process ends itself 5 s after it.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00", ErrorMessage = "Fanout:Host:ShutdownTimeout must be positive and at most a day, e.g. 00:00:15.")]
    public TimeSpan ShutdownTimeout { get; set; } = ShutdownBackstop.DefaultTimeout;

    /// <summary>The host's access key, or null when none is set.</summary>
    public string? Key => string.IsNullOrEmpty(ApiKey) ? null : ApiKey;
}
