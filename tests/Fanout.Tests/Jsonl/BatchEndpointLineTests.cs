using System.Text;
using Fanout.Core.Jsonl;
using Xunit;
using static Fanout.Core.Jsonl.LineErrorCodes;
using static Fanout.Tests.Jsonl.JsonlInput;

namespace Fanout.Tests.Jsonl;

/// <summary>Lines of a batch made through /v1/batches must match its endpoint; embeddings bodies are checked as such.</summary>
public sealed class BatchEndpointLineTests
{
    private const string EmbeddingBody = """{"model":"text-embedding-3-small","input":"Hi"}""";

    public static TheoryData<string?, string, string, string> Cases() => new()
    {
        // endpoint, line url, body, expected code
        { null, "/v1/chat/completions", DefaultBody, Ok },
        { null, "/v1/embeddings", EmbeddingBody, InvalidUrl },
        { "/v1/chat/completions", "/chat/completions", DefaultBody, Ok },
        { "/v1/chat/completions", "/v1/embeddings", EmbeddingBody, InvalidUrl },
        { "/chat/completions", "/v1/chat/completions", DefaultBody, Ok },
        { "/v1/embeddings", "/v1/embeddings", EmbeddingBody, Ok },
        { "/v1/embeddings", "/embeddings", """{"input":["a","b"]}""", Ok },
        { "/v1/embeddings", "/v1/embeddings", """{"model":"m","input":[[1,2,3]]}""", Ok },
        { "/embeddings", "/v1/embeddings", EmbeddingBody, Ok },
        { "/v1/embeddings", "/v1/chat/completions", DefaultBody, InvalidUrl },
        { "/v1/embeddings", "/v1/embeddings", """{"model":"m"}""", InvalidBody },
        { "/v1/embeddings", "/v1/embeddings", """{"input":[]}""", InvalidBody },
        { "/v1/embeddings", "/v1/embeddings", """{"input":""}""", InvalidBody },
        { "/v1/embeddings", "/v1/embeddings", """{"input":42}""", InvalidBody },
        { "/v1/embeddings", "/v1/embeddings", """{"input":"x","model":7}""", InvalidBody },
        { "/v1/embeddings", "/v1/embeddings", DefaultBody, InvalidBody },
        { null, "/v1/responses", ResponsesBody, Ok },
        { null, "/responses", """{"input":[{"role":"user","content":"Hi"}],"instructions":"Be brief","max_output_tokens":16}""", Ok },
        { "/v1/responses", "/responses", ResponsesBody, Ok },
        { "/responses", "/v1/responses", ResponsesBody, Ok },
        { "/v1/responses", "/v1/chat/completions", DefaultBody, InvalidUrl },
        { "/v1/chat/completions", "/v1/responses", ResponsesBody, InvalidUrl },
        { "/v1/responses", "/v1/responses", """{"model":"m"}""", InvalidBody },
        { "/v1/responses", "/v1/responses", """{"input":[]}""", InvalidBody },
        { "/v1/responses", "/v1/responses", """{"input":7}""", InvalidBody },
        { "/v1/responses", "/v1/responses", """{"input":"x","max_output_tokens":0}""", InvalidBody },
    };

    private const string ResponsesBody = """{"model":"gpt-4o-mini","input":"Hi","text":{"format":{"type":"json_object"}}}""";

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Line_url_must_match_the_batch_endpoint_and_its_body_the_operation(string? endpoint, string url, string body, string expected)
    {
        var line = Line(url: $"\"{url}\"", body: body);

        var lines = await ReadAllAsync(line, endpoint);

        var read = Assert.Single(lines);
        Assert.Equal(expected, read.Error?.Code ?? Ok);
        if (expected == Ok)
        {
            Assert.Equal(BatchEndpoints.IsEmbeddings(endpoint), read.IsEmbedding);
            Assert.Equal(url.EndsWith("/responses", StringComparison.Ordinal), read.IsResponse);
        }
    }

    [Fact]
    public async Task An_embeddings_line_keeps_its_model_and_raw_body()
    {
        var lines = await ReadAllAsync(Line(url: "\"/v1/embeddings\"", body: EmbeddingBody), "/v1/embeddings");

        var read = Assert.Single(lines);
        Assert.Equal("text-embedding-3-small", read.Model);
        Assert.Equal(EmbeddingBody, Encoding.UTF8.GetString(read.Body.Span));
    }

    private static async Task<List<BatchLine>> ReadAllAsync(string text, string? endpoint)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
        var lines = new List<BatchLine>();
        await foreach (var line in JsonlBatchReader.ReadAsync(stream, new JsonlReaderOptions { Endpoint = endpoint }))
        {
            lines.Add(line);
        }

        return lines;
    }
}
