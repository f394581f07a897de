using Fanout.Core.Api;
using Fanout.Core.Models;
using Fanout.Core.OpenAICompat;
using Xunit;

namespace Fanout.Tests.OpenAICompat;

/// <summary>The native batch object as OpenAI's: statuses, errors, timestamps, files.</summary>
public sealed class OpenAIBatchMappingTests
{
    private static readonly BatchInput Input = new("batch_1", "gpt-4o-mini", 8, 1_000, Source: new BatchSource("batches-files", "file-abc"), Endpoint: "/v1/embeddings");

    [Theory]
    [InlineData("validating", 0, 0, 0, "validating")]
    [InlineData("in_progress", 10, 4, 1, "in_progress")]
    [InlineData("in_progress", 10, 8, 2, "finalizing")]
    [InlineData("finalizing", 10, 8, 2, "finalizing")]
    [InlineData("cancelling", 10, 3, 0, "cancelling")]
    [InlineData("completed", 10, 8, 2, "completed")]
    public void Status_maps_and_a_running_batch_with_every_line_done_is_finalizing(string native, int total, int completed, int failed, string expected)
    {
        var batch = OpenAIBatchView.ToOpenAI(Input, Native(native, new RequestCounts(total, completed, failed)), null, null);

        Assert.Equal(expected, batch.Status);
        Assert.Equal(expected == "validating" ? null : 1_000, batch.InProgressAt);
    }

    [Fact]
    public void A_failed_batch_carries_its_error_as_an_errors_list_and_its_failure_time()
    {
        var native = Native("failed", new RequestCounts(0, 0, 0)) with { CompletedAt = 1_005, Error = new ApiError("empty_batch", "The input has no lines.") };

        var batch = OpenAIBatchView.ToOpenAI(Input, native, null, null);

        var error = Assert.Single(batch.Errors!.Data);
        Assert.Equal(("empty_batch", "The input has no lines."), (error.Code, error.Message));
        Assert.Equal("list", batch.Errors.Object);
        Assert.Equal(1_005, batch.FailedAt);
        Assert.Null(batch.CompletedAt);
        Assert.Null(batch.InProgressAt);
    }

    [Fact]
    public void A_completed_batch_names_its_files_endpoint_input_and_usage()
    {
        var native = Native("completed", new RequestCounts(3, 2, 1)) with { CompletedAt = 1_010, Usage = new Usage(30, 0) };

        var batch = OpenAIBatchView.ToOpenAI(Input, native, "file-batch_1-output", "file-batch_1-error");

        Assert.Equal(("file-batch_1-output", "file-batch_1-error"), (batch.OutputFileId, batch.ErrorFileId));
        Assert.Equal("file-abc", batch.InputFileId);
        Assert.Equal("/v1/embeddings", batch.Endpoint);
        Assert.Equal(1_010, batch.CompletedAt);
        Assert.Equal(1_000 + (24 * 3600), batch.ExpiresAt);
        Assert.Equal((30, 0, 30), (batch.Usage.InputTokens, batch.Usage.OutputTokens, batch.Usage.TotalTokens));
        Assert.Equal(8, batch.MaxConcurrency);
    }

    [Fact]
    public void A_batch_submitted_natively_has_no_input_file_and_the_chat_endpoint()
    {
        var input = new BatchInput("batch_2", "gpt-4o-mini", 8, 1_000);

        var batch = OpenAIBatchView.ToOpenAI(input, Native("in_progress", new RequestCounts(2, 0, 0)), null, null);

        Assert.Null(batch.InputFileId);
        Assert.Equal("/v1/chat/completions", batch.Endpoint);
    }

    [Theory]
    [InlineData("batch_0123", false)]
    [InlineData("batch_0123", true)]
    [InlineData("blob_name-x_abc", true)]
    public void Batch_file_ids_round_trip(string batchId, bool errors)
    {
        var id = OpenAIFileIds.BatchFileId(batchId, errors);

        Assert.Equal((batchId, errors), OpenAIFileIds.ParseBatchFileId(id));
    }

    [Fact]
    public void Uploaded_file_ids_are_not_batch_files_and_new_batch_ids_sort_newest_first()
    {
        Assert.Null(OpenAIFileIds.ParseBatchFileId(OpenAIFileIds.NewFileId()));
        var older = OpenAIFileIds.NewBatchId(DateTimeOffset.FromUnixTimeSeconds(1_000));
        var newer = OpenAIFileIds.NewBatchId(DateTimeOffset.FromUnixTimeSeconds(1_001));
        Assert.True(string.CompareOrdinal(newer, older) < 0);
        Assert.True(BatchIds.IsValid(newer));
    }

    private static BatchObject Native(string status, RequestCounts counts) => new(
        "batch_1", status, 1_000, null, 8, "gpt-4o-mini", counts, new Usage(0, 0), "out/batch_1/output.jsonl", "out/batch_1/errors.jsonl", new Dictionary<string, string>());
}
