using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fanout.IntegrationTests.Infrastructure;
using Xunit;

namespace Fanout.CompatTests;

/// <summary>Fanout:Host:ApiKey on the portable host (API.md, "Access keys").</summary>
public sealed class AccessKeyTests(CompatHostFixture fixture) : IClassFixture<CompatHostFixture>
{
    public static TheoryData<string, string> Routes => new()
    {
        { "GET", "/v1/files" },
        { "GET", "/v1/batches" },
        { "GET", "/openai/batches?api-version=2024-10-21" },
        { "POST", "/v1/batches" },
        { "GET", "/api/batches/batch_x" },
        { "POST", "/api/batches" },
        { "GET", "/no/such/route" },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Every_route_answers_401_without_a_key_with_a_wrong_key_and_with_the_key_in_the_wrong_header(string method, string path)
    {
        var attempts = new (string Header, string Value)[]
        {
            (string.Empty, string.Empty),
            ("api-key", "wrong-" + fixture.ApiKey),
            ("Authorization", "Bearer wrong"),
            ("x-api-key", fixture.ApiKey),
            ("Authorization", fixture.ApiKey),
            ("Authorization", "Basic " + fixture.ApiKey),
        };

        foreach (var (header, value) in attempts)
        {
            using var http = new HttpClient { BaseAddress = fixture.Host.BaseAddress };
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (header.Length > 0)
            {
                request.Headers.TryAddWithoutValidation(header, value);
            }

            using var response = await http.SendAsync(request);

            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} with '{header}' answered {response.StatusCode}");
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("unauthorized", body.GetProperty("error").GetProperty("code").GetString());
        }

        Assert.DoesNotContain(fixture.ApiKey, fixture.Host.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("api-key", "")]
    [InlineData("Authorization", "Bearer ")]
    public async Task The_key_is_accepted_as_api_key_or_bearer(string header, string prefix)
    {
        using var http = new HttpClient { BaseAddress = fixture.Host.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/batches?limit=1");
        request.Headers.TryAddWithoutValidation(header, prefix + fixture.ApiKey);

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Healthz_needs_no_key()
    {
        using var http = new HttpClient { BaseAddress = fixture.Host.BaseAddress };

        using var response = await http.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}

/// <summary>A host that would listen beyond loopback without a key does not start.</summary>
public sealed class ExposedHostTests
{
    [Theory]
    [InlineData("http://0.0.0.0:{0}")]
    [InlineData("http://*:{0}")]
    [InlineData("http://127.0.0.1:{0};http://[::]:{1}")]
    public async Task Host_refuses_to_start_beyond_loopback_without_a_key(string urls)
    {
        var settings = new Dictionary<string, string>
        {
            ["Fanout:Storage:ConnectionString"] = "UseDevelopmentStorage=true",
            ["Fanout:OpenAI:Endpoint"] = "http://127.0.0.1:9/",
            ["Fanout:Host:WatchBlobs"] = "false",
            ["Fanout:Host:Urls"] = string.Format(System.Globalization.CultureInfo.InvariantCulture, urls, 47123, 47124),
        };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => HostProcess.StartAsync(settings));

        Assert.Contains("exited with 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("Fanout:Host:ApiKey", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", error.Message, StringComparison.Ordinal);
        Assert.Single(error.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("Fanout:Host:ApiKey", StringComparison.Ordinal));
    }
}
