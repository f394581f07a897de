using System.ClientModel;
using System.Net;
using Azure.AI.OpenAI;
using Fanout.Simulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using Xunit;

namespace Fanout.Tests.Simulator;

public sealed class MapSimulatorTests
{
    [Fact]
    public async Task Another_app_hosts_the_simulator_under_a_prefix_with_configured_options()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Fanout:Simulator:RequestsPerMinute"] = "5" });
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSimulator();
        await using var app = builder.Build();
        app.MapSimulator("/sim");
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var chat = new AzureOpenAIClient(new Uri(address + "/sim/"), new ApiKeyCredential("sim")).GetChatClient("d");

        var result = await chat.CompleteChatAsync(new UserChatMessage("hosted"));

        Assert.Equal(SimulatorResponder.ContentFor("hosted"), result.Value.Content[0].Text);
        Assert.True(result.GetRawResponse().Headers.TryGetValue("x-ratelimit-remaining-requests", out var remaining));
        Assert.Equal("4", remaining);
        await app.StopAsync();
    }
}
