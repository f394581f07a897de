using System.Text.Json;
using Fanout.Core.Api;
using Fanout.Core.Models;
using Fanout.Http.Batches;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Moq;
using Xunit;

namespace Fanout.Tests.Functions;

/// <summary>
/// Each HTTP trigger of the native API answers as the portable host does (same status, headers, body) for the
/// service's values and errors, over a mocked <see cref="DurableTaskClient"/>.
/// </summary>
public sealed class BatchHttpFunctionsTests
{
    private const string Running = "batch_running";
    private const string Done = "batch_done";
    private readonly TriggerHarness _h = new();

    public BatchHttpFunctionsTests()
    {
        _h.AddBatch(Running, OrchestrationRuntimeStatus.Running);
        _h.AddBatch(Done, OrchestrationRuntimeStatus.Completed, new BatchResult(BatchStatus.Completed, 3, new BatchCounts(Completed: 3), 1_764_000_100));
    }

    [Theory]
    [InlineData(null, 415, "unsupported_media_type", "Content-Type must be application/json ({\"prompts\": [...]}) or application/jsonl (OpenAI Batch input lines).")]
    [InlineData("text/csv", 415, "unsupported_media_type", "Content-Type 'text/csv' is not supported; use application/json or application/jsonl.")]
    [InlineData("application/jsonl; charset=latin1", 415, "unsupported_media_type", "Only the utf-8 charset is supported.")]
    public async Task Submit_with_a_wrong_content_type_is_415(string? contentType, int status, string code, string message)
    {
        var answer = await SubmitBothAsync(() => TriggerHarness.Request("POST", "{}", contentType));
        AssertError(answer, status, code, message);
    }

    [Theory]
    [InlineData("?maxConcurrency=0", "Query parameter 'maxConcurrency' must be an integer from 1 to 200.")]
    [InlineData("?maxConcurrency=1&maxConcurrency=2", "Query parameter 'maxConcurrency' must be an integer from 1 to 200.")]
    [InlineData("?deployment=bad%20name", "Query parameter 'deployment' must be 1-64 letters, digits, '.', '_' or '-'.")]
    [InlineData("?dryRun=maybe", "Query parameter 'dryRun' must be true or false.")]
    [InlineData("?maxTotalTokens=0", "Query parameter 'maxTotalTokens' must be a positive integer.")]
    public async Task Submit_with_a_wrong_query_parameter_is_400_naming_it(string query, string message)
    {
        var answer = await SubmitBothAsync(() => TriggerHarness.Request("POST", "{\"prompts\":[\"a\"]}", "application/json", query));
        AssertError(answer, 400, "invalid_parameter", message);
        _h.Client.Verify(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Theory]
    [InlineData("{\"prompts\":[\"a\"],\"maxConcurrency\":500}", "'maxConcurrency' must be an integer from 1 to 200.")]
    [InlineData("{\"prompts\":[\"a\"],\"deployment\":7}", "'deployment' must be a string of 1-64 letters, digits, '.', '_' or '-'.")]
    [InlineData("{\"prompts\":[\"a\", 2]}", "'prompts[1]' must be a string.")]
    [InlineData("[1]", "The body must be a JSON object {\"prompts\": [...]}.")]
    public async Task Submit_with_a_wrong_prompts_form_is_400_invalid_body(string body, string message)
    {
        var answer = await SubmitBothAsync(() => TriggerHarness.Request("POST", body, "application/json"));
        AssertError(answer, 400, "invalid_body", message);
    }

    [Fact]
    public async Task Submit_over_the_byte_limit_is_413_before_reading()
    {
        var answer = await SubmitBothAsync(() =>
        {
            var request = TriggerHarness.Request("POST", "{}", "application/jsonl");
            request.ContentLength = 1025;
            return request;
        });
        Assert.Equal(413, answer.Status);
        Assert.Equal("batch_too_large", Error(answer).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Submit_with_an_Idempotency_Key_of_a_known_batch_answers_202_with_that_batch_and_starts_nothing()
    {
        var id = BatchIds.Idempotent("key-1");
        _h.AddBatch(id, OrchestrationRuntimeStatus.Running);
        var answer = await SubmitBothAsync(() => TriggerHarness.Request("POST", "{\"prompts\":[\"a\"]}", "application/json", headers: ("Idempotency-Key", "key-1")));

        Assert.Equal(202, answer.Status);
        Assert.Equal($"/api/batches/{id}", answer.Headers["Location"]);
        Assert.Equal(id, JsonDocument.Parse(answer.Body).RootElement.GetProperty("id").GetString());
        _h.Client.Verify(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task Submit_with_an_empty_Idempotency_Key_is_400()
    {
        var answer = await SubmitBothAsync(() => TriggerHarness.Request("POST", "{\"prompts\":[\"a\"]}", "application/json", headers: ("Idempotency-Key", new string('k', 257))));
        AssertError(answer, 400, "invalid_idempotency_key", "Idempotency-Key must be 1-256 characters.");
    }

    [Fact]
    public async Task A_dry_run_answers_200_with_the_estimate_and_starts_nothing()
    {
        var answer = await SubmitBothAsync(() => TriggerHarness.Request("POST", "{\"prompts\":[\"hello\",\"world\"]}", "application/json", "?dryRun=true"));

        Assert.Equal(200, answer.Status);
        Assert.Equal(2, JsonDocument.Parse(answer.Body).RootElement.GetProperty("lines").GetInt32());
        _h.Client.Verify(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task Get_answers_the_batch_object_404_for_an_unknown_id_and_400_for_a_malformed_one()
    {
        var found = await BothAsync(r => _h.Http.GetAsync(r, Done, _h.Client.Object, default), r => BatchEndpoints.GetAsync(Done, _h.Batches, _h.Client.Object, default));
        Assert.Equal(200, found.Status);
        Assert.Equal("application/json; charset=utf-8", found.ContentType);
        var batch = JsonDocument.Parse(found.Body).RootElement;
        Assert.Equal("completed", batch.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Number, batch.GetProperty("completed_at").ValueKind);

        var missing = await BothAsync(r => _h.Http.GetAsync(r, "batch_nope", _h.Client.Object, default), r => BatchEndpoints.GetAsync("batch_nope", _h.Batches, _h.Client.Object, default));
        AssertError(missing, 404, "batch_not_found", "No batch with id 'batch_nope'.");

        var malformed = await BothAsync(r => _h.Http.GetAsync(r, "-x", _h.Client.Object, default), r => BatchEndpoints.GetAsync("-x", _h.Batches, _h.Client.Object, default));
        AssertError(malformed, 400, "invalid_batch_id", BatchIds.InvalidIdMessage);
    }

    [Fact]
    public async Task Cancel_answers_202_cancelling_and_raises_the_event_or_409_when_finished()
    {
        var cancel = await BothAsync(r => _h.Http.CancelAsync(r, Running, _h.Client.Object, default), r => BatchEndpoints.CancelAsync(Running, _h.Batches, _h.Client.Object, default));
        Assert.Equal(202, cancel.Status);
        Assert.False(cancel.Headers.ContainsKey("Location"));
        Assert.Equal("cancelling", JsonDocument.Parse(cancel.Body).RootElement.GetProperty("status").GetString());
        _h.Client.Verify(c => c.RaiseEventAsync(Running, It.IsAny<string>(), It.IsAny<object?>(), It.IsAny<CancellationToken>()), Times.Exactly(2));

        var finished = await BothAsync(r => _h.Http.CancelAsync(r, Done, _h.Client.Object, default), r => BatchEndpoints.CancelAsync(Done, _h.Batches, _h.Client.Object, default));
        AssertError(finished, 409, "batch_finished", $"Batch {Done} has already finished.");
    }

    [Fact]
    public async Task Results_and_errors_of_a_running_batch_are_409_and_a_wrong_partial_is_400()
    {
        var results = await BothAsync(
            r => _h.Http.GetResultsAsync(r, Running, _h.Client.Object, default), r => BatchEndpoints.ResultsAsync(Running, r, _h.Watch, _h.Retries, _h.Client.Object, default));
        AssertError(results, 409, "batch_not_finished", $"Batch {Running} is not finished yet; results are available once its status is completed or cancelled.");

        var errors = await BothAsync(r => _h.Http.GetErrorsAsync(r, Running, _h.Client.Object, default), r => BatchEndpoints.ErrorsAsync(Running, _h.Batches, _h.Client.Object, default));
        Assert.True(errors.SameAs(results));

        var partial = await BothAsync(
            r => _h.Http.GetResultsAsync(r, Running, _h.Client.Object, default), r => BatchEndpoints.ResultsAsync(Running, r, _h.Watch, _h.Retries, _h.Client.Object, default), "?partial=maybe");
        AssertError(partial, 400, "invalid_parameter", "Query parameter 'partial' must be true or false.");

        var merged = await BothAsync(
            r => _h.Http.GetResultsAsync(r, Done, _h.Client.Object, default), r => BatchEndpoints.ResultsAsync(Done, r, _h.Watch, _h.Retries, _h.Client.Object, default), "?merged=true");
        AssertError(merged, 400, "invalid_parameter", $"Batch {Done} is not a retry (it has no metadata.retry_of): 'merged=true' applies only to retry batches.");
    }

    [Fact]
    public async Task Retry_is_409_while_running_and_with_an_Idempotency_Key_answers_the_same_retry_batch()
    {
        var running = await BothAsync(r => _h.Http.RetryAsync(r, Running, _h.Client.Object, default), r => BatchEndpoints.RetryAsync(Running, r, _h.Retries, _h.Client.Object, default));
        AssertError(running, 409, "batch_not_finished", $"Batch {Running} is not finished yet; it can be retried once it is completed or cancelled.");

        var retryId = BatchIds.Idempotent("retry:" + Done + ":again");
        _h.AddBatch(retryId, OrchestrationRuntimeStatus.Running);
        var replay = await BothAsync(
            r => _h.Http.RetryAsync(r, Done, _h.Client.Object, default), r => BatchEndpoints.RetryAsync(Done, r, _h.Retries, _h.Client.Object, default), headers: ("Idempotency-Key", "again"));
        Assert.Equal(202, replay.Status);
        Assert.Equal($"/api/batches/{retryId}", replay.Headers["Location"]);
        _h.Client.Verify(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    /// <summary>Runs the trigger and the host's endpoint on the same request, checks they answer alike, returns the answer.</summary>
    internal static async Task<Answer> BothAsync(
        Func<HttpRequest, Task<IActionResult>> trigger, Func<HttpRequest, Task<IResult>> host, string query = "", params (string Name, string Value)[] headers)
    {
        var fromTrigger = TriggerHarness.Request(query: query, headers: headers);
        var fromHost = TriggerHarness.Request(query: query, headers: headers);
        var a = await TriggerHarness.RunAsync(await trigger(fromTrigger), fromTrigger);
        var b = await TriggerHarness.RunAsync(await host(fromHost), fromHost);
        Assert.True(a.SameAs(b), $"trigger: {a}\nhost: {b}");
        return a;
    }

    internal static JsonElement Error(Answer answer) => JsonDocument.Parse(answer.Body).RootElement.GetProperty("error");

    internal static void AssertError(Answer answer, int status, string code, string message)
    {
        Assert.Equal(status, answer.Status);
        Assert.Equal("application/json; charset=utf-8", answer.ContentType);
        Assert.Equal(JsonSerializer.Serialize(new { error = new { code, message } }), answer.Body);
    }

    private async Task<Answer> SubmitBothAsync(Func<HttpRequest> request)
    {
        var fromTrigger = request();
        var fromHost = request();
        var a = await TriggerHarness.RunAsync(await _h.Http.SubmitAsync(fromTrigger, _h.Client.Object, default), fromTrigger);
        var b = await TriggerHarness.RunAsync(await BatchEndpoints.SubmitAsync(fromHost, _h.Submit, _h.Client.Object, default), fromHost);
        Assert.True(a.SameAs(b), $"trigger: {a}\nhost: {b}");
        return a;
    }
}
