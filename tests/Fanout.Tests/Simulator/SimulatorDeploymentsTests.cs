using System.Net;
using System.Text;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace Fanout.Tests.Simulator;

/// <summary>Several deployments on one simulator: each its own quota, model and outages.</summary>
public sealed class SimulatorDeploymentsTests
{
    [Fact]
    public void Deployments_are_configured_by_name()
    {
        var options = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Fanout:Simulator:TokensPerMinute"] = "500",
            ["Fanout:Simulator:Deployments:east:TokensPerMinute"] = "1000",
            ["Fanout:Simulator:Deployments:east:Model"] = "gpt-4o-mini-2024-07-18",
            ["Fanout:Simulator:Deployments:west:RequestsPerMinute"] = "60",
            ["Fanout:Simulator:Deployments:west:OutageStartSeconds"] = "10",
            ["Fanout:Simulator:Deployments:west:OutageDurationSeconds"] = "5",
            ["Fanout:Simulator:Deployments:west:OutageMode"] = "Refuse",
        }).Build().GetSection("Fanout:Simulator").Get<SimulatorOptions>()!;

        Assert.Equal(1000, options.DeploymentOptions("EAST")!.TokensPerMinute);
        Assert.Equal("gpt-4o-mini-2024-07-18", options.DeploymentOptions("east")!.Model);
        Assert.Equal(DeploymentOutage.Refuse, options.DeploymentOptions("west")!.OutageMode);
        Assert.Null(options.DeploymentOptions("west")!.TokensPerMinute);
        Assert.Null(options.DeploymentOptions("north"));
    }

    [Fact]
    public void A_bad_deployment_setting_is_named()
    {
        var options = new SimulatorOptions { Deployments = { ["east"] = new SimulatorDeploymentOptions { TokensPerMinute = -1 } } };

        var error = Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(options.EnsureValid);

        Assert.Contains("Fanout:Simulator:Deployments:east:TokensPerMinute", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_deployment_has_its_own_quota_and_answers_with_its_own_model()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            Deployments =
            {
                ["small"] = new SimulatorDeploymentOptions { RequestsPerMinute = 2 },
                ["big"] = new SimulatorDeploymentOptions { RequestsPerMinute = 100, Model = "big-model" },
            },
        });
        using var http = new HttpClient { BaseAddress = server.BaseUri };

        var small = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            small.Add((await PostAsync(http, "small", i)).StatusCode);
        }

        var big = await PostAsync(http, "big", 0);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], small);
        Assert.Equal(HttpStatusCode.OK, big.StatusCode);
        Assert.Contains("\"model\":\"big-model\"", await big.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var stats = server.DeploymentStats();
        Assert.Equal((4L, 2L, 2L), (stats["small"].Requests, stats["small"].Succeeded, stats["small"].RateLimited));
        Assert.Equal(1, stats["big"].Succeeded);
    }

    [Fact]
    public async Task A_stopped_deployment_answers_503_or_drops_the_connection_until_it_is_started_while_others_answer()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions());
        using var http = new HttpClient { BaseAddress = server.BaseUri };

        server.StopDeployment("east");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await PostAsync(http, "east", 0)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(http, "west", 0)).StatusCode);

        server.StopDeployment("east", DeploymentOutage.Refuse);
        await Assert.ThrowsAsync<HttpRequestException>(() => PostAsync(http, "east", 1));

        server.StartDeployment("east");
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(http, "east", 2)).StatusCode);

        // The same over HTTP, for a standalone simulator.
        Assert.Equal(HttpStatusCode.NoContent, (await http.PostAsync("deployments/west/stop", null)).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await PostAsync(http, "west", 3)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await http.PostAsync("deployments/west/start", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(http, "west", 4)).StatusCode);
        Assert.Contains("\"west\"", await http.GetStringAsync("stats/deployments"), StringComparison.Ordinal);
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient http, string deployment, int i)
        => http.PostAsync(
            $"openai/deployments/{deployment}/chat/completions?api-version=2024-10-21",
            new StringContent($$"""{"messages":[{"role":"user","content":"prompt {{i}}"}],"max_tokens":4}""", Encoding.UTF8, "application/json"));
}
