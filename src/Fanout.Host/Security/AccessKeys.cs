using System.Net;
using System.Security.Cryptography;
using System.Text;
using Fanout.Core.Service;
using Fanout.Host.Extensions;
using Fanout.Http;
using Microsoft.Extensions.Options;

namespace Fanout.Host.Security;

/// <summary>
/// The portable host's access key (<c>Fanout:Host:ApiKey</c>, API.md "Access keys"): every route but <c>GET /healthz</c>
/// and the web page's static files needs <c>Authorization: Bearer KEY</c> or <c>api-key: KEY</c>. The key is compared in
/// constant time and never logged; a host told to listen beyond loopback without one does not start.
/// </summary>
public static class AccessKeys
{
    /// <summary>The setting that holds the key.</summary>
    public const string SettingName = "Fanout:Host:ApiKey";

    /// <summary>The Azure OpenAI SDKs' key header.</summary>
    public const string ApiKeyHeader = "api-key";

    // What a web page serves: files that hold no data.
    private static readonly HashSet<string> StaticExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".html", ".htm", ".js", ".mjs", ".css", ".map", ".ico", ".png", ".svg", ".jpg", ".jpeg", ".gif", ".webp", ".woff", ".woff2", ".ttf", ".txt", ".webmanifest",
    };

    /// <summary>
    /// Throws a configuration error (exit code 2, one line naming the setting) when the host would listen on an address
    /// other than loopback without <see cref="SettingName"/>: the configured addresses, checked before anything starts
    /// (a clear early exit); <see cref="BindGuard"/> checks what was actually bound once the server has started, which
    /// also covers addresses set in code.
    /// </summary>
    /// <param name="host">The host's settings (its key and <c>Fanout:Host:Urls</c>).</param>
    /// <param name="serverUrls">ASP.NET Core's own <c>urls</c> / <c>ASPNETCORE_URLS</c>, which win over <c>Fanout:Host:Urls</c>; null when unset.</param>
    /// <param name="endpoints">The URLs of <c>Kestrel:Endpoints</c>.</param>
    public static void EnsureSafeBinding(FanoutHostOptions host, string? serverUrls, IEnumerable<string> endpoints)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(endpoints);
        var urls = FirstNonEmpty(serverUrls, host.Urls) ?? FanoutHostOptions.DefaultUrls;
        EnsureSafeAddresses(host, urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Concat(endpoints));
    }

    /// <summary>
    /// Throws a configuration error (exit code 2, one line naming the setting) when one of <paramref name="addresses"/>
    /// is beyond loopback and <see cref="SettingName"/> is not set.
    /// </summary>
    public static void EnsureSafeAddresses(FanoutHostOptions host, IEnumerable<string> addresses)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(addresses);
        if (host.Key is not null)
        {
            return;
        }

        var exposed = addresses.FirstOrDefault(u => !IsLoopback(u));
        if (exposed is not null)
        {
            throw new OptionsValidationException(SettingName, typeof(string), [
                $"{SettingName} must be set when the host listens beyond loopback ({exposed}): anyone who can reach the port could use it. Set {SettingName} (clients send it as 'Authorization: Bearer KEY' or 'api-key: KEY'), or listen on 127.0.0.1.",
            ]);
        }
    }

    /// <summary>True when a listen URL only accepts connections from this machine.</summary>
    public static bool IsLoopback(string url)
    {
        var rest = url.Contains("://", StringComparison.Ordinal) ? url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..] : url;
        var end = rest.IndexOf('/', StringComparison.Ordinal);
        var authority = end < 0 ? rest : rest[..end];
        string host;
        if (authority.StartsWith('['))
        {
            host = authority[1..Math.Max(1, authority.IndexOf(']', StringComparison.Ordinal))];
        }
        else
        {
            var colon = authority.LastIndexOf(':');
            host = colon < 0 ? authority : authority[..colon];
        }

        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }

    /// <summary>True for requests that need no key: <c>GET /healthz</c> and the web page's static files.</summary>
    public static bool IsExempt(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            return false;
        }

        var path = request.Path.Value ?? "/";
        return path is "/" or "/healthz" || (StaticExtensions.Contains(Path.GetExtension(path)) && !path.StartsWith("/api/", StringComparison.OrdinalIgnoreCase)
            && !path.StartsWith("/v1/", StringComparison.OrdinalIgnoreCase) && !path.StartsWith("/openai/", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The key the request presents (<c>Authorization: Bearer</c> or <c>api-key</c>), or null.</summary>
    public static string? Presented(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Headers.TryGetValue(ApiKeyHeader, out var apiKey) && apiKey.Count == 1 && !string.IsNullOrEmpty(apiKey[0]))
        {
            return apiKey[0];
        }

        var authorization = request.Headers.Authorization;
        return authorization.Count == 1 && authorization[0] is { } value && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? value["Bearer ".Length..].Trim()
            : null;
    }

    /// <summary>Compares two keys in constant time (hashes first, so the length does not leak either).</summary>
    public static bool Matches(string? presented, string expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        if (presented is null)
        {
            return false;
        }

        var a = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        var b = SHA256.HashData(Encoding.UTF8.GetBytes(expected));
        return CryptographicOperations.FixedTimeEquals(a, b);
    }

    /// <summary>Adds the key check in front of every route when <see cref="SettingName"/> is set.</summary>
    public static IServiceCollection AddFanoutAccessKeys(this IServiceCollection services)
    {
        // The bind guard's gate comes first: no request reaches anything before the bound addresses are checked.
        services.AddSingleton<BindGuard>();
        services.AddHostedService(sp => sp.GetRequiredService<BindGuard>());
        services.AddTransient<IStartupFilter, BindGuard.StartupFilter>();
        return services.AddTransient<IStartupFilter, AccessKeyStartupFilter>();
    }

    private static string? FirstNonEmpty(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));

    private sealed class AccessKeyStartupFilter(IOptions<FanoutHostOptions> host) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            if (host.Value.Key is { } key)
            {
                app.Use(async (context, nextMiddleware) =>
                {
                    if (IsExempt(context.Request) || Matches(Presented(context.Request), key))
                    {
                        await nextMiddleware(context).ConfigureAwait(false);
                        return;
                    }

                    context.Response.Headers.WWWAuthenticate = "Bearer";
                    await ErrorResults.WriteAsync(context, ServiceError.Unauthorized(
                        $"A valid key is required: send it as \"Authorization: Bearer KEY\" or \"api-key: KEY\" (the {SettingName} of this host).")).ConfigureAwait(false);
                });
            }

            next(app);
        };
    }
}
