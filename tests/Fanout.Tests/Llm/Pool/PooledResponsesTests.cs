using System.Text;
using System.Text.Json;
using Fanout.Core.Llm;
using Fanout.Core.Llm.Pool;
using Fanout.Core.Options;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace Fanout.Tests.Llm.Pool;

/// <summary>Responses lines go through the pool like chat lines, each to its member's deployment (named in the body on Azure's v1 API).</summary>
public sealed class PooledResponsesTests
{
    [Fact]
    public async Task A_responses_line_is_routed_to_a_pool_member_and_names_that_members_deployment()
    {
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions());
        var settings = new Dictionary<string, string?>
        {
            ["Fanout:OpenAI:Pool:0:Endpoint"] = simulator.BaseUri.ToString(),
            ["Fanout:OpenAI:Pool:0:Deployment"] = "east-mini",
            ["Fanout:OpenAI:Pool:0:Model"] = "gpt-4o-mini",
            ["Fanout:OpenAI:Pool:0:ApiKey"] = "k",
            ["Fanout:OpenAI:Pool:1:Endpoint"] = simulator.BaseUri.ToString(),
            ["Fanout:OpenAI:Pool:1:Deployment"] = "west-mini",
            ["Fanout:OpenAI:Pool:1:Model"] = "gpt-4o-mini",
            ["Fanout:OpenAI:Pool:1:ApiKey"] = "k",
        };
        var pool = new PoolOptions();
        PoolConfiguration.Read(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), pool);
        Assert.Empty(pool.Errors);
        var invoker = new PooledChatInvoker(
            Microsoft.Extensions.Options.Options.Create(new OpenAIOptions()), Microsoft.Extensions.Options.Options.Create(pool), new AzureOpenAIClientFactory(), TimeProvider.System);
        var body = Encoding.UTF8.GetBytes("""{"model":"gpt-4o-mini","input":"Route me","max_output_tokens":20}""");

        var results = new List<ChatCallResult>();
        for (var i = 0; i < 6; i++)
        {
            results.Add(await invoker.RespondAsync("gpt-4o-mini", body, default));
        }

        Assert.All(results, r => Assert.Equal(200, r.Status));
        foreach (var result in results)
        {
            using var doc = JsonDocument.Parse(result.Body);
            var member = Assert.Single(result.Calls!);
            Assert.Equal(member.Member, doc.RootElement.GetProperty("model").GetString());
            Assert.True(member.PromptTokens > 0 && member.CompletionTokens > 0);
        }

        var stats = simulator.DeploymentStats();
        Assert.Equal(6, stats.Where(s => s.Key is "east-mini" or "west-mini").Sum(s => s.Value.Succeeded));
        Assert.False(stats.ContainsKey("gpt-4o-mini"));
    }
}
