using System.Text;
using Fanout.Core.OpenAICompat;
using Fanout.Core.Service;
using Xunit;

namespace Fanout.Tests.OpenAICompat;

/// <summary>The body of <c>POST /v1/batches</c>: every field checked, every fault a 400 <c>invalid_body</c> naming it.</summary>
public sealed class CreateBatchRequestTests
{
    [Fact]
    public async Task A_full_body_reads_into_the_request()
    {
        var read = await ReadAsync("{\"input_file_id\":\"file-abc\",\"endpoint\":\"/v1/embeddings\",\"completion_window\":\"24h\",\"metadata\":{\"team\":\"a\"},\"max_concurrency\":7,\"max_total_tokens\":5000}");

        Assert.True(read.IsSuccess);
        Assert.Equal("file-abc", read.Value.InputFileId);
        Assert.Equal("/v1/embeddings", read.Value.Endpoint);
        Assert.Equal("a", read.Value.Metadata!["team"]);
        Assert.Equal(7, read.Value.MaxConcurrency);
        Assert.Equal(5000, read.Value.MaxTotalTokens);
        Assert.Null(read.Value.Cache);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    [InlineData("null", null)]
    public async Task The_cache_field_reads_as_a_boolean_or_the_hosts_default(string value, bool? expected)
    {
        var read = await ReadAsync("{\"input_file_id\":\"file-abc\",\"endpoint\":\"/v1/chat/completions\",\"cache\":" + value + "}");

        Assert.True(read.IsSuccess);
        Assert.Equal(expected, read.Value.Cache);
    }

    [Fact]
    public async Task Optional_fields_may_be_absent_or_null()
    {
        var read = await ReadAsync("{\"input_file_id\":\"file-abc\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":null,\"max_concurrency\":null}");

        Assert.True(read.IsSuccess);
        Assert.Null(read.Value.MaxConcurrency);
        Assert.Null(read.Value.MaxTotalTokens);
        Assert.Null(read.Value.Metadata);
    }

    [Theory]
    [InlineData("{\"endpoint\":\"/v1/chat/completions\"}", "'input_file_id' is required")]
    [InlineData("{\"input_file_id\":\"file-a\"}", "'endpoint' is required")]
    [InlineData("{\"input_file_id\":\"file-a\",\"endpoint\":\"\"}", "'endpoint' is required")]
    [InlineData("{\"input_file_id\":\"file-a\",\"endpoint\":\"/v1/x\",\"completion_window\":\"tomorrow\"}", "'completion_window' must be \"24h\", or any number of hours or minutes")]
    [InlineData("{\"input_file_id\":\"file-a\",\"endpoint\":\"/v1/x\",\"max_concurrency\":0}", "'max_concurrency' must be an integer from 1 to 100")]
    [InlineData("{\"input_file_id\":\"file-a\",\"endpoint\":\"/v1/x\",\"cache\":\"yes\"}", "'cache' must be true or false")]
    [InlineData("{\"input_file_id\":\"file-a\",\"endpoint\":\"/v1/x\",\"max_concurrency\":101}", "'max_concurrency' must be an integer from 1 to 100")]
    [InlineData("{\"input_file_id\":\"file-a\",\"endpoint\":\"/v1/x\",\"max_total_tokens\":-1}", "'max_total_tokens' must be a positive integer")]
    [InlineData("{\"input_file_id\":\"file-a\",\"endpoint\":\"/v1/x\",\"metadata\":[]}", "metadata")]
    [InlineData("{\"input_file_id\":", "The body is not a valid JSON object of at most 1 MB")]
    public async Task A_wrong_field_is_400_invalid_body_naming_it(string json, string message)
    {
        var read = await ReadAsync(json);

        Assert.False(read.IsSuccess);
        Assert.Equal(ErrorKind.Invalid, read.Error.Kind);
        Assert.Equal("invalid_body", read.Error.Code);
        Assert.Contains(message, read.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_over_1_MB_is_refused_without_reading_it_all()
    {
        var json = "{\"input_file_id\":\"file-a\",\"endpoint\":\"/v1/x\",\"pad\":\"" + new string('x', 1024 * 1024) + "\"}";

        var read = await ReadAsync(json);

        Assert.False(read.IsSuccess);
        Assert.Equal("invalid_body", read.Error.Code);
        Assert.Contains("larger than 1048576 bytes", read.Error.Message, StringComparison.Ordinal);
    }

    private static Task<ServiceResult<CreateBatchRequest>> ReadAsync(string json)
        => CreateBatchRequest.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(json)), maxConcurrencyLimit: 100, CancellationToken.None);
}
