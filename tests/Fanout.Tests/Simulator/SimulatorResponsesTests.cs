using System.Net;
using System.Text;
using System.Text.Json;
using Fanout.Core.Llm;
using Fanout.Core.Options;
using Fanout.Core.Storage;
using Fanout.Core.StructuredOutputs;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using Xunit;

namespace Fanout.Tests.Simulator;

/// <summary>
/// The simulator's <c>/responses</c> routes and its answers to requests that ask for JSON, called through Fanout's
/// Azure OpenAI invoker (the real client, Azure's <c>/openai/v1/responses</c>) and over raw HTTP.
/// </summary>
public sealed class SimulatorResponsesTests
{
    /// <summary>Objects, arrays, enums, required properties, bounded numbers, nested <c>$ref</c>/<c>$defs</c>.</summary>
    private const string Schema = """
        {"type":"object","additionalProperties":false,"required":["id","score","ratio","label","items","owner"],
         "properties":{
           "id":{"type":"integer","minimum":10,"maximum":12},
           "score":{"type":"number","exclusiveMinimum":0,"exclusiveMaximum":1},
           "ratio":{"type":"number","multipleOf":0.25,"minimum":1,"maximum":2},
           "label":{"enum":["red","green"]},
           "note":{"type":["string","null"],"minLength":3,"maxLength":5},
           "items":{"type":"array","minItems":3,"maxItems":4,"items":{"$ref":"#/$defs/item"}},
           "owner":{"$ref":"#/$defs/person"}},
         "$defs":{
           "item":{"type":"object","required":["sku","qty"],"additionalProperties":false,
                   "properties":{"sku":{"type":"string","maxLength":8},"qty":{"type":"integer","minimum":1,"maximum":3},"owner":{"$ref":"#/$defs/person"}}},
           "person":{"type":"object","required":["name","kind"],"additionalProperties":false,
                     "properties":{"name":{"type":"string","minLength":12},"kind":{"const":"human"},"boss":{"anyOf":[{"$ref":"#/$defs/person"},{"type":"null"}]}}}}}
        """;

    [Fact]
    public async Task Responses_lines_through_the_azure_client_get_the_responses_shape_with_usage()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions());
        var invoker = Invoker(server);
        var body = """{"model":"line-model","instructions":"Be brief.","input":[{"role":"user","content":[{"type":"input_text","text":"Hello there"}]}],"max_output_tokens":40}""";

        var result = await invoker.RespondAsync("my-deployment", Encoding.UTF8.GetBytes(body), CancellationToken.None);

        Assert.Equal(200, result.Status);
        using var doc = JsonDocument.Parse(result.Body);
        var root = doc.RootElement;
        Assert.Equal("response", root.GetProperty("object").GetString());
        Assert.StartsWith("resp_", root.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal("completed", root.GetProperty("status").GetString());
        Assert.Equal("my-deployment", root.GetProperty("model").GetString());
        Assert.Equal("Be brief.", root.GetProperty("instructions").GetString());
        Assert.Equal(40, root.GetProperty("max_output_tokens").GetInt32());
        var text = ModelAnswer.Read(result.Body.Span, isResponse: true).Text;
        Assert.Equal(SimulatorResponder.ContentFor("Be brief.\nHello there"), text);
        var (input, output) = OutputLines.ReadUsage(result.Body.Span);
        Assert.True(input > 0 && output > 0);
        Assert.Equal(input + output, root.GetProperty("usage").GetProperty("total_tokens").GetInt32());
        Assert.Equal(1, server.DeploymentStats()["my-deployment"].Succeeded);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Schema_answers_are_valid_against_their_schema(bool isResponse)
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions());
        var invoker = Invoker(server);

        for (var i = 0; i < 40; i++)
        {
            var body = SchemaBody(isResponse, $"q{i}");
            var result = isResponse
                ? await invoker.RespondAsync("d", body, CancellationToken.None)
                : await invoker.CompleteAsync("d", body, CancellationToken.None);

            Assert.Equal(200, result.Status);
            var answer = ModelAnswer.Read(result.Body.Span, isResponse);
            Assert.Null(AnswerValidator.Check(new AnswerFormat(Schema), answer.Text));
        }
    }

    [Fact]
    public async Task At_an_invalid_output_rate_of_one_every_answer_is_invalid_and_at_a_refusal_rate_of_one_every_answer_refuses()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { InvalidOutputRate = 1 });
        var invoker = Invoker(server);
        for (var i = 0; i < 20; i++)
        {
            var result = await invoker.RespondAsync("d", SchemaBody(true, $"bad{i}"), CancellationToken.None);
            Assert.NotNull(AnswerValidator.Check(new AnswerFormat(Schema), ModelAnswer.Read(result.Body.Span, true).Text));
        }

        server.Options.InvalidOutputRate = 0;
        server.Options.RefusalRate = 1;
        var chat = ModelAnswer.Read((await invoker.CompleteAsync("d", SchemaBody(false, "no"), CancellationToken.None)).Body.Span, false);
        var responses = ModelAnswer.Read((await invoker.RespondAsync("d", SchemaBody(true, "no"), CancellationToken.None)).Body.Span, true);
        Assert.Equal((null, Fanout.Simulator.Structured.StructuredAnswer.RefusalText), (chat.Text, chat.Refusal));
        Assert.Equal((null, Fanout.Simulator.Structured.StructuredAnswer.RefusalText), (responses.Text, responses.Refusal));

        // A line without a format is answered as always.
        var plain = await invoker.RespondAsync("d", """{"input":"plain"}"""u8.ToArray(), CancellationToken.None);
        Assert.Equal(SimulatorResponder.ContentFor("plain"), ModelAnswer.Read(plain.Body.Span, true).Text);
    }

    [Theory]
    [InlineData("/v1/responses")]
    [InlineData("/responses")]
    [InlineData("/openai/responses?api-version=2025-04-01-preview")]
    public async Task Responses_are_served_on_the_openai_paths_within_the_quota(string path)
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { TokensPerMinute = 60 });
        using var http = new HttpClient();
        var body = """{"model":"q","input":"Hi","max_output_tokens":40}""";

        using var first = await http.PostAsync(new Uri(server.BaseUri, path), new StringContent(body, Encoding.UTF8, "application/json"));
        using var second = await http.PostAsync(new Uri(server.BaseUri, path), new StringContent(body, Encoding.UTF8, "application/json"));
        using var bad = await http.PostAsync(new Uri(server.BaseUri, path), new StringContent("""{"model":"q"}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using var doc = JsonDocument.Parse(await first.Content.ReadAsStringAsync());
        Assert.True(doc.RootElement.GetProperty("usage").GetProperty("input_tokens").GetInt32() > 0);
    }

    private static AzureOpenAIChatInvoker Invoker(SimulatorServer server)
        => new(Microsoft.Extensions.Options.Options.Create(new OpenAIOptions { Endpoint = server.BaseUri, ApiKey = "k", MaxRetries = 0 }), new AzureOpenAIClientFactory());

    private static byte[] SchemaBody(bool isResponse, string prompt)
    {
        var schema = JsonDocument.Parse(Schema).RootElement;
        object body = isResponse
            ? new { input = prompt, text = new { format = new { type = "json_schema", name = "order", strict = true, schema } } }
            : new { messages = new[] { new { role = "user", content = prompt } }, response_format = new { type = "json_schema", json_schema = new { name = "order", strict = true, schema } } };
        return JsonSerializer.SerializeToUtf8Bytes(body);
    }
}
