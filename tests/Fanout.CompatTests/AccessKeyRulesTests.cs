using Fanout.Host.Extensions;
using Fanout.Host.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Xunit;

namespace Fanout.CompatTests;

/// <summary>The rules behind the access key, without a host: which addresses are loopback, which requests are exempt.</summary>
public sealed class AccessKeyRulesTests
{
    [Theory]
    [InlineData("http://127.0.0.1:7071", true)]
    [InlineData("http://127.0.0.2:7071", true)]
    [InlineData("http://localhost:5000", true)]
    [InlineData("https://[::1]:443/", true)]
    [InlineData("http://0.0.0.0:7071", false)]
    [InlineData("http://*:7071", false)]
    [InlineData("http://+:7071", false)]
    [InlineData("http://[::]:7071", false)]
    [InlineData("http://10.1.2.3:80", false)]
    [InlineData("http://myhost.example:80", false)]
    public void Loopback_addresses_are_recognised(string url, bool loopback)
        => Assert.Equal(loopback, AccessKeys.IsLoopback(url));

    [Theory]
    [InlineData("GET", "/healthz", true)]
    [InlineData("GET", "/", true)]
    [InlineData("GET", "/app.js", true)]
    [InlineData("HEAD", "/css/site.css", true)]
    [InlineData("POST", "/healthz", false)]
    [InlineData("GET", "/api/batches", false)]
    [InlineData("GET", "/api/batches/x.js", false)]
    [InlineData("GET", "/v1/files/file-1.html", false)]
    [InlineData("GET", "/openai/files", false)]
    [InlineData("GET", "/healthz/deep", false)]
    public void Only_health_and_static_files_are_exempt(string method, string path, bool exempt)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = path;

        Assert.Equal(exempt, AccessKeys.IsExempt(context.Request));
    }

    [Theory]
    [InlineData("api-key", "k1", "k1")]
    [InlineData("Authorization", "Bearer k1", "k1")]
    [InlineData("Authorization", "bearer   k1 ", "k1")]
    [InlineData("Authorization", "Basic k1", null)]
    [InlineData("x-api-key", "k1", null)]
    public void The_key_is_read_from_api_key_or_bearer_only(string header, string value, string? expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers[header] = value;

        Assert.Equal(expected, AccessKeys.Presented(context.Request));
    }

    [Fact]
    public void Keys_match_only_when_equal()
    {
        Assert.True(AccessKeys.Matches("secret", "secret"));
        Assert.False(AccessKeys.Matches("secret ", "secret"));
        Assert.False(AccessKeys.Matches("Secret", "secret"));
        Assert.False(AccessKeys.Matches(null, "secret"));
    }

    [Fact]
    public void Binding_beyond_loopback_needs_a_key_and_loopback_does_not()
    {
        AccessKeys.EnsureSafeBinding(new FanoutHostOptions(), serverUrls: null, endpoints: []);
        AccessKeys.EnsureSafeBinding(new FanoutHostOptions { Urls = "http://0.0.0.0:1", ApiKey = "k" }, serverUrls: null, endpoints: []);
        Assert.Throws<OptionsValidationException>(() => AccessKeys.EnsureSafeBinding(new FanoutHostOptions(), serverUrls: null, endpoints: ["http://0.0.0.0:2"]));
        var e = Assert.Throws<OptionsValidationException>(() => AccessKeys.EnsureSafeBinding(new FanoutHostOptions { Urls = "http://127.0.0.1:1" }, serverUrls: "http://0.0.0.0:1", endpoints: []));
        Assert.Contains("Fanout:Host:ApiKey", e.Message, StringComparison.Ordinal);
        Assert.Contains("http://0.0.0.0:1", e.Message, StringComparison.Ordinal);
    }
}
