using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using Azure.AI.OpenAI;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using Xunit;

namespace Fanout.Tests.Simulator;

/// <summary>The simulator's embeddings route, through the real Azure OpenAI client and over raw HTTP.</summary>
public sealed class SimulatorEmbeddingsTests
{
    [Fact]
    public async Task Azure_client_gets_deterministic_unit_vectors_with_usage()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions());
        var client = new AzureOpenAIClient(server.BaseUri, new ApiKeyCredential("k")).GetEmbeddingClient("text-embedding-3-small");

        var first = (await client.GenerateEmbeddingAsync("hello world")).Value.ToFloats().ToArray();
        var again = (await client.GenerateEmbeddingAsync("hello world")).Value.ToFloats().ToArray();
        var other = (await client.GenerateEmbeddingAsync("goodbye")).Value.ToFloats().ToArray();

        Assert.Equal(SimulatorEmbeddings.DefaultDimensions, first.Length);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.Equal(SimulatorEmbeddings.VectorFor("hello world"), first);
        Assert.Equal(1.0, Math.Sqrt(first.Sum(v => (double)v * v)), 4);
    }

    [Fact]
    public async Task Several_inputs_dimensions_and_usage_come_back_in_openai_shape()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions());
        using var http = new HttpClient();

        using var response = await http.PostAsync(new Uri(server.BaseUri, "/v1/embeddings"), Json("""{"model":"m","input":["abcd","abcdefgh"],"dimensions":12}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = doc.RootElement;
        Assert.Equal("list", root.GetProperty("object").GetString());
        Assert.Equal(2, root.GetProperty("data").GetArrayLength());
        Assert.Equal(1, root.GetProperty("data")[1].GetProperty("index").GetInt32());
        Assert.Equal(12, root.GetProperty("data")[0].GetProperty("embedding").GetArrayLength());
        Assert.Equal(3, root.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal("m", root.GetProperty("model").GetString());
    }

    [Theory]
    [InlineData("""{"model":"m"}""")]
    [InlineData("""{"input":[]}""")]
    [InlineData("""{"input":"x","dimensions":0}""")]
    [InlineData("""{"input":"x","encoding_format":"hex"}""")]
    [InlineData("not json")]
    public async Task A_bad_request_is_a_400(string body)
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions());
        using var http = new HttpClient();

        using var response = await http.PostAsync(new Uri(server.BaseUri, "/openai/deployments/e/embeddings"), Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task The_token_quota_applies_to_embeddings()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { TokensPerMinute = 10 });
        using var http = new HttpClient();
        var body = $$"""{"input":"{{new string('x', 32)}}"}""";

        using var first = await http.PostAsync(new Uri(server.BaseUri, "/openai/deployments/e/embeddings"), Json(body));
        using var second = await http.PostAsync(new Uri(server.BaseUri, "/openai/deployments/e/embeddings"), Json(body));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.True(second.Headers.Contains("retry-after-ms"));
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
