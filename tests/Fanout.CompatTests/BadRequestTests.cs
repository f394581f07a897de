using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Xunit;
using static Fanout.CompatTests.CompatHostFixture;

namespace Fanout.CompatTests;

/// <summary>Bad calls to the OpenAI-compatible surface get a precise 4xx error object, never a 500, and store nothing.</summary>
public sealed class BadRequestTests(CompatHostFixture fixture) : IClassFixture<CompatHostFixture>
{
    public static TheoryData<string, string?, string, HttpStatusCode, string> Uploads => new()
    {
        // name, purpose (null: no field), body text, status, code
        { "purpose missing", null, "{}\n", HttpStatusCode.BadRequest, "invalid_parameter" },
        { "purpose not batch", "assistants", "{}\n", HttpStatusCode.BadRequest, "invalid_parameter" },
        { "too many lines", "batch", string.Concat(Enumerable.Repeat("{}\n", CompatHostFixture.MaxLines + 1)), HttpStatusCode.RequestEntityTooLarge, "too_many_lines" },
    };

    [Theory]
    [MemberData(nameof(Uploads))]
    public async Task A_bad_upload_is_refused_and_nothing_is_stored(string name, string? purpose, string text, HttpStatusCode status, string code)
    {
        var before = await FileCountAsync();
        using var content = new MultipartFormDataContent();
        if (purpose is not null)
        {
            content.Add(new StringContent(purpose), "purpose");
        }

        content.Add(new ByteArrayContent(Encoding.UTF8.GetBytes(text)), "file", "in.jsonl");

        using var response = await fixture.Http.PostAsync("/v1/files", content);

        Assert.True(status == response.StatusCode, $"{name}: {response.StatusCode}");
        Assert.Equal(code, await ErrorCodeAsync(response));
        Assert.Equal(before, await FileCountAsync());
    }

    [Theory]
    [InlineData("multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jsonl\"\r\n\r\n{}\n", HttpStatusCode.BadRequest, "invalid_body")]
    [InlineData("multipart/form-data", "anything", HttpStatusCode.UnsupportedMediaType, "unsupported_media_type")]
    [InlineData("application/jsonl", "{}\n", HttpStatusCode.UnsupportedMediaType, "unsupported_media_type")]
    public async Task A_malformed_or_non_multipart_upload_is_a_4xx(string contentType, string body, HttpStatusCode status, string code)
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var response = await fixture.Http.PostAsync("/v1/files", content);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(code, await ErrorCodeAsync(response));
    }

    public static TheoryData<string, string, HttpStatusCode, string> Creates => new()
    {
        { "not json", "{", HttpStatusCode.BadRequest, "invalid_body" },
        { "no input file", """{"endpoint":"/v1/chat/completions","completion_window":"24h"}""", HttpStatusCode.BadRequest, "invalid_body" },
        { "no endpoint", """{"input_file_id":"file-x","completion_window":"24h"}""", HttpStatusCode.BadRequest, "invalid_body" },
        { "unknown file", """{"input_file_id":"file-nope","endpoint":"/v1/chat/completions","completion_window":"24h"}""", HttpStatusCode.NotFound, "file_not_found" },
        { "window", """{"input_file_id":"file-x","endpoint":"/v1/chat/completions","completion_window":"2d"}""", HttpStatusCode.BadRequest, "invalid_body" },
        { "budget zero", """{"input_file_id":"file-x","endpoint":"/v1/chat/completions","max_total_tokens":0}""", HttpStatusCode.BadRequest, "invalid_body" },
        { "cap zero", """{"input_file_id":"file-x","endpoint":"/v1/chat/completions","max_concurrency":0}""", HttpStatusCode.BadRequest, "invalid_body" },
        { "metadata not strings", """{"input_file_id":"file-x","endpoint":"/v1/chat/completions","metadata":{"a":1}}""", HttpStatusCode.BadRequest, "invalid_body" },
    };

    [Theory]
    [MemberData(nameof(Creates))]
    public async Task A_bad_batch_create_names_the_problem(string name, string body, HttpStatusCode status, string code)
    {
        using var response = await fixture.Http.PostAsync("/v1/batches", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.True(status == response.StatusCode, $"{name}: {response.StatusCode}");
        Assert.Equal(code, await ErrorCodeAsync(response));
    }

    [Theory]
    [InlineData("GET", "/v1/batches/batch_nope", HttpStatusCode.NotFound, "batch_not_found")]
    [InlineData("GET", "/v1/batches/bad~id", HttpStatusCode.NotFound, "batch_not_found")]
    [InlineData("POST", "/v1/batches/batch_nope/cancel", HttpStatusCode.NotFound, "batch_not_found")]
    [InlineData("GET", "/v1/batches?limit=0", HttpStatusCode.BadRequest, "invalid_parameter")]
    [InlineData("GET", "/v1/batches?limit=101", HttpStatusCode.BadRequest, "invalid_parameter")]
    [InlineData("GET", "/v1/files?order=up", HttpStatusCode.BadRequest, "invalid_parameter")]
    [InlineData("GET", "/v1/files/file-nope", HttpStatusCode.NotFound, "file_not_found")]
    [InlineData("GET", "/v1/files/file-batch_nope-output/content", HttpStatusCode.NotFound, "file_not_found")]
    [InlineData("DELETE", "/v1/files/file-nope", HttpStatusCode.NotFound, "file_not_found")]
    [InlineData("DELETE", "/v1/files/not-a-file", HttpStatusCode.NotFound, "file_not_found")]
    public async Task Unknown_ids_and_bad_parameters_are_4xx(string method, string path, HttpStatusCode status, string code)
    {
        using var response = await fixture.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(code, await ErrorCodeAsync(response));
    }

    [Fact]
    public async Task Cancelling_a_finished_batch_is_a_409()
    {
        var file = await fixture.UploadAsync([ChatLine("one", "done soon")]);
        var id = (await fixture.CreateBatchAsync(file.Id)).GetProperty("id").GetString()!;
        await fixture.WaitAsync(id);

        using var response = await fixture.Http.PostAsync($"/v1/batches/{id}/cancel", null);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("batch_finished", await ErrorCodeAsync(response));
    }

    private async Task<int> FileCountAsync()
        => (await fixture.Http.GetFromJsonAsync<JsonElement>("/v1/files")).GetProperty("data").GetArrayLength();

    private static async Task<string?> ErrorCodeAsync(HttpResponseMessage response)
        => (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("code").GetString();
}
