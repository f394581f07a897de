using System.Text;
using System.Text.Json;
using Fanout.Core.Models;
using Fanout.Core.Orchestrations;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Moq;
using Xunit;

namespace Fanout.Tests.Functions.OpenAI;

/// <summary>
/// The OpenAI-compatible triggers of the Functions app map the services' values and errors to the status codes and
/// bodies of API.md, as the portable host does (both go through Fanout.Http's OpenAIHandlers).
/// </summary>
public sealed class OpenAIHttpFunctionsTests : IDisposable
{
    private const string Boundary = "fanout-test-boundary";
    private const string MultipartType = "multipart/form-data; boundary=" + Boundary;
    private readonly OpenAIFunctionsFixture _app = new(o => o.MaxLines = 2);

    [Fact]
    public async Task An_upload_is_stored_and_its_content_comes_back_byte_for_byte()
    {
        var lines = "{\"custom_id\":\"a\"}\n{\"custom_id\":\"b\"}\n";
        var upload = _app.Request("POST", Multipart(("purpose", null, "batch"), ("file", "in.jsonl", lines)), MultipartType);

        var (status, type, body) = await OpenAIFunctionsFixture.RunAsync(upload, await _app.Functions.UploadFileAsync(upload, default));

        Assert.Equal(200, status);
        Assert.StartsWith("application/json", type, StringComparison.Ordinal);
        var file = JsonDocument.Parse(body).RootElement;
        Assert.Equal("file", file.GetProperty("object").GetString());
        Assert.Equal("in.jsonl", file.GetProperty("filename").GetString());
        Assert.Equal("batch", file.GetProperty("purpose").GetString());
        Assert.Equal(Encoding.UTF8.GetByteCount(lines), file.GetProperty("bytes").GetInt64());
        var id = file.GetProperty("id").GetString()!;

        var get = _app.Request("GET");
        (status, _, body) = await OpenAIFunctionsFixture.RunAsync(get, await _app.Functions.GetFileAsync(get, id, _app.Client.Object, default));
        Assert.Equal(200, status);
        Assert.Equal(id, JsonDocument.Parse(body).RootElement.GetProperty("id").GetString());

        var content = _app.Request("GET");
        (status, type, body) = await OpenAIFunctionsFixture.RunAsync(content, await _app.Functions.GetFileContentAsync(content, id, _app.Client.Object, default));
        Assert.Equal(200, status);
        Assert.Equal("application/jsonl; charset=utf-8", type);
        Assert.Equal(lines, Encoding.UTF8.GetString(body));
    }

    [Fact]
    public async Task An_upload_over_the_line_limit_is_413_too_many_lines_and_nothing_is_stored()
    {
        var upload = _app.Request("POST", Multipart(("purpose", null, "batch"), ("file", "in.jsonl", "{}\n{}\n{}\n")), MultipartType);

        var (status, _, body) = await OpenAIFunctionsFixture.RunAsync(upload, await _app.Functions.UploadFileAsync(upload, default));

        Assert.Equal(413, status);
        AssertError(body, "too_many_lines", "The file is too large: the batch has more than 2 lines.");
        Assert.DoesNotContain(_app.Blobs.Paths, p => p.Contains("/file-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_multipart_body_over_the_byte_limit_is_413_batch_too_large()
    {
        using var app = new OpenAIFunctionsFixture(o => o.MaxBytes = 16);
        var upload = app.Request("POST", Multipart(("purpose", null, "batch"), ("note", null, new string('x', 1024 * 1024 + 64))), MultipartType);

        var (status, _, body) = await OpenAIFunctionsFixture.RunAsync(upload, await app.Functions.UploadFileAsync(upload, default));

        Assert.Equal(413, status);
        AssertError(body, "batch_too_large", $"The file is too large: the body is larger than {(1024 * 1024) + 16} bytes.");
    }

    [Theory]
    [InlineData("fine-tune", "purpose 'fine-tune' is not supported; Fanout stores files of purpose \"batch\".")]
    [InlineData(null, "The field 'purpose' is required and must be \"batch\".")]
    public async Task An_upload_without_purpose_batch_is_400_invalid_parameter_and_its_file_is_not_kept(string? purpose, string message)
    {
        var parts = purpose is null ? new[] { ("file", (string?)"in.jsonl", "{}\n") } : [("purpose", null, purpose), ("file", "in.jsonl", "{}\n")];
        var upload = _app.Request("POST", Multipart(parts), MultipartType);

        var (status, _, body) = await OpenAIFunctionsFixture.RunAsync(upload, await _app.Functions.UploadFileAsync(upload, default));

        Assert.Equal(400, status);
        AssertError(body, "invalid_parameter", message);
        Assert.DoesNotContain(_app.Blobs.Paths, p => p.Contains("/file-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_upload_that_is_not_multipart_is_415()
    {
        var upload = _app.Request("POST", "{}"u8.ToArray(), "application/json");

        var (status, _, body) = await OpenAIFunctionsFixture.RunAsync(upload, await _app.Functions.UploadFileAsync(upload, default));

        Assert.Equal(415, status);
        AssertError(body, "unsupported_media_type", "Upload files as multipart/form-data with the fields 'purpose' (batch) and 'file'.");
    }

    [Theory]
    [InlineData("nope")]
    [InlineData("file-missing")]
    [InlineData("file-batch_unknown-output")]
    public async Task Getting_a_file_that_does_not_exist_is_404_file_not_found(string id)
    {
        var get = _app.Request("GET");

        var (status, _, body) = await OpenAIFunctionsFixture.RunAsync(get, await _app.Functions.GetFileAsync(get, id, _app.Client.Object, default));

        Assert.Equal(404, status);
        AssertError(body, "file_not_found", $"No file with id '{id}'.");
    }

    [Fact]
    public async Task Listing_files_with_a_bad_limit_is_400_invalid_parameter()
    {
        var list = _app.Request("GET", query: "?limit=0");

        var (status, _, body) = await OpenAIFunctionsFixture.RunAsync(list, await _app.Functions.ListFilesAsync(list, default));

        Assert.Equal(400, status);
        AssertError(body, "invalid_parameter", "Query parameter 'limit' must be an integer from 1 to 10000.");
    }

    [Theory]
    [InlineData("{\"input_file_id\":\"abc\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}", "'input_file_id' must be a file id as /v1/files returns it (\"file-\" followed by up to 200 letters, digits, '_', '.' or '-').")]
    [InlineData("{\"input_file_id\":\"file-x\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"2d\"}", "'completion_window' must be \"24h\", or any number of hours or minutes such as \"6h\" or \"90m\".")]
    [InlineData("[1]", "The body must be a JSON object {\"input_file_id\", \"endpoint\", \"completion_window\"}.")]
    public async Task Creating_a_batch_from_a_bad_body_is_400_invalid_body_and_starts_nothing(string json, string message)
    {
        var create = _app.Request("POST", Encoding.UTF8.GetBytes(json), "application/json");

        var (status, _, body) = await OpenAIFunctionsFixture.RunAsync(create, await _app.Functions.CreateBatchAsync(create, _app.Client.Object, default));

        Assert.Equal(400, status);
        AssertError(body, "invalid_body", message);
        _app.Client.Verify(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task Creating_a_batch_from_a_file_that_was_never_uploaded_is_404_file_not_found()
    {
        var create = _app.Request("POST", "{\"input_file_id\":\"file-none\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}"u8.ToArray(), "application/json");

        var (status, _, body) = await OpenAIFunctionsFixture.RunAsync(create, await _app.Functions.CreateBatchAsync(create, _app.Client.Object, default));

        Assert.Equal(404, status);
        AssertError(body, "file_not_found", "No input file 'file-none' of purpose \"batch\"; upload it to /v1/files first.");
    }

    [Fact]
    public async Task Creating_a_batch_from_an_uploaded_file_starts_the_orchestrator_and_answers_validating()
    {
        var upload = _app.Request("POST", Multipart(("purpose", null, "batch"), ("file", "in.jsonl", "{}\n")), MultipartType);
        var (_, _, uploaded) = await OpenAIFunctionsFixture.RunAsync(upload, await _app.Functions.UploadFileAsync(upload, default));
        var fileId = JsonDocument.Parse(uploaded).RootElement.GetProperty("id").GetString()!;
        BatchInput? started = null;
        _app.Client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .Callback((TaskName _, object? input, StartOrchestrationOptions? _, CancellationToken _) => started = (BatchInput?)input)
            .ReturnsAsync((TaskName _, object? _, StartOrchestrationOptions? options, CancellationToken _) => options!.InstanceId!);
        var create = _app.Request("POST", Encoding.UTF8.GetBytes($"{{\"input_file_id\":\"{fileId}\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\",\"max_concurrency\":3}}"), "application/json");

        var (status, _, body) = await OpenAIFunctionsFixture.RunAsync(create, await _app.Functions.CreateBatchAsync(create, _app.Client.Object, default));

        Assert.Equal(200, status);
        var batch = JsonDocument.Parse(body).RootElement;
        Assert.Equal("validating", batch.GetProperty("status").GetString());
        Assert.Equal(fileId, batch.GetProperty("input_file_id").GetString());
        Assert.Equal(3, batch.GetProperty("max_concurrency").GetInt32());
        Assert.NotNull(started);
        Assert.Equal(batch.GetProperty("id").GetString(), started.BatchId);
        Assert.Equal(new BatchSource("batches-files", fileId), started.Source);
        _app.Client.Verify(c => c.ScheduleNewOrchestrationInstanceAsync(new TaskName(nameof(BatchOrchestrator)), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()), Times.Once);
        _app.Flush.Verify(f => f.FlushAsync(It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task Cancelling_a_running_batch_raises_the_cancel_event_and_answers_cancelling()
    {
        _app.Client.Setup(c => c.GetInstanceAsync("batch_run", true, It.IsAny<CancellationToken>()))
            .ReturnsAsync(OpenAIFunctionsFixture.Batch("batch_run", OrchestrationRuntimeStatus.Running));
        var cancel = _app.Request("POST");

        var (status, _, body) = await OpenAIFunctionsFixture.RunAsync(cancel, await _app.Functions.CancelBatchAsync(cancel, "batch_run", _app.Client.Object, default));

        Assert.Equal(200, status);
        var batch = JsonDocument.Parse(body).RootElement;
        Assert.Equal("batch_run", batch.GetProperty("id").GetString());
        Assert.Equal("batch", batch.GetProperty("object").GetString());
        Assert.Equal("cancelling", batch.GetProperty("status").GetString());
        Assert.Equal("file-abc", batch.GetProperty("input_file_id").GetString());
        _app.Client.Verify(c => c.RaiseEventAsync("batch_run", PromptWindow.CancelEvent, "cancel", It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task Cancelling_a_finished_batch_is_409_and_an_unknown_one_404_and_neither_raises_an_event()
    {
        _app.Client.Setup(c => c.GetInstanceAsync("batch_done", true, It.IsAny<CancellationToken>()))
            .ReturnsAsync(OpenAIFunctionsFixture.Batch("batch_done", OrchestrationRuntimeStatus.Completed));
        var finished = _app.Request("POST");
        var unknown = _app.Request("POST");

        var (status, _, body) = await OpenAIFunctionsFixture.RunAsync(finished, await _app.Functions.CancelBatchAsync(finished, "batch_done", _app.Client.Object, default));
        var (unknownStatus, _, unknownBody) = await OpenAIFunctionsFixture.RunAsync(unknown, await _app.Functions.CancelBatchAsync(unknown, "batch_gone", _app.Client.Object, default));

        Assert.Equal(409, status);
        AssertError(body, "batch_finished", "Batch batch_done has already finished.");
        Assert.Equal(404, unknownStatus);
        AssertError(unknownBody, "batch_not_found", "No batch with id 'batch_gone'.");
        _app.Client.Verify(c => c.RaiseEventAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<object?>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    public void Dispose() => _app.Dispose();

    private static void AssertError(byte[] body, string code, string message)
    {
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal(message, error.GetProperty("message").GetString());
    }

    private static byte[] Multipart(params (string Name, string? FileName, string Content)[] parts)
    {
        var text = new StringBuilder();
        foreach (var (name, fileName, content) in parts)
        {
            text.Append("--").Append(Boundary).Append("\r\n");
            text.Append("Content-Disposition: form-data; name=\"").Append(name).Append('"');
            if (fileName is not null)
            {
                text.Append("; filename=\"").Append(fileName).Append('"');
            }

            text.Append("\r\n\r\n").Append(content).Append("\r\n");
        }

        text.Append("--").Append(Boundary).Append("--\r\n");
        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
