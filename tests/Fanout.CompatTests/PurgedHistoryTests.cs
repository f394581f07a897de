using System.ClientModel;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Xunit;
using static Fanout.CompatTests.CompatHostFixture;

namespace Fanout.CompatTests;

/// <summary>A host that purges a finished batch's history at once (<c>Fanout:Durable:HistoryRetention</c> 0).</summary>
public sealed class PurgingHostFixture : CompatHostFixture
{
    /// <inheritdoc />
    protected override void Configure(IDictionary<string, string> settings)
    {
        settings["Fanout:Durable:HistoryRetention"] = "00:00:00";
        settings["Fanout:Durable:HistoryPurgeInterval"] = "00:00:01";
    }
}

/// <summary>
/// OpenAI batch code that comes back after the history retention: the batch, its output and error files, the list and
/// cancel answer as they did before the purge (OpenAI keeps a batch's files for days; so must a drop-in).
/// </summary>
public sealed class PurgedHistoryTests(PurgingHostFixture fixture) : IClassFixture<PurgingHostFixture>
{
    [Fact]
    public async Task A_batch_whose_history_was_purged_is_still_served_with_its_files()
    {
        var lines = Enumerable.Range(0, 12).Select(i => i == 5
            ? ChatLine("r-5", "wrong url", url: "/v1/embeddings")
            : ChatLine($"r-{i}", $"Kept question {i}?")).ToList();
        var file = await fixture.UploadAsync(lines, "kept.jsonl");
        var created = await fixture.CreateBatchAsync(file.Id, extra: new { metadata = new { run = "nightly" }, max_concurrency = 4 });
        var id = created.GetProperty("id").GetString()!;
        var (_, before) = await fixture.WaitAsync(id);
        Assert.Equal("completed", before.GetProperty("status").GetString());
        var outputId = before.GetProperty("output_file_id").GetString()!;
        var errorId = before.GetProperty("error_file_id").GetString()!;
        var outputBytes = (await fixture.Files.DownloadFileAsync(outputId)).Value.ToArray();
        var errorBytes = (await fixture.Files.DownloadFileAsync(errorId)).Value.ToArray();

        await WaitUntilPurgedAsync(id);

        // The batch object: the same fields as before the purge.
        var after = await fixture.GetBatchAsync(id);
        foreach (var field in new[] { "id", "status", "endpoint", "input_file_id", "output_file_id", "error_file_id", "completed_at", "created_at", "max_concurrency" })
        {
            Assert.Equal(before.GetProperty(field).ToString(), after.GetProperty(field).ToString());
        }

        Assert.Equal(before.GetProperty("request_counts").ToString(), after.GetProperty("request_counts").ToString());
        Assert.Equal(before.GetProperty("usage").GetProperty("input_tokens").GetInt64(), after.GetProperty("usage").GetProperty("input_tokens").GetInt64());
        Assert.Equal("nightly", after.GetProperty("metadata").GetProperty("run").GetString());

        // Its files: the same bytes, through the SDK.
        Assert.Equal(outputBytes, (await fixture.Files.DownloadFileAsync(outputId)).Value.ToArray());
        Assert.Equal(errorBytes, (await fixture.Files.DownloadFileAsync(errorId)).Value.ToArray());
        Assert.Equal(outputBytes.Length, (await fixture.Files.GetFileAsync(outputId)).Value.SizeInBytes);
        Assert.Equal(11, Lines(System.Text.Encoding.UTF8.GetString(outputBytes)).Count);

        // The list still has it; cancel says it has finished; an unknown id is still not found.
        var page = await fixture.Http.GetFromJsonAsync<JsonElement>("/v1/batches?limit=100");
        var listed = page.GetProperty("data").EnumerateArray().Single(b => b.GetProperty("id").GetString() == id);
        Assert.Equal("completed", listed.GetProperty("status").GetString());
        Assert.Equal(outputId, listed.GetProperty("output_file_id").GetString());
        using var cancel = await fixture.Http.PostAsync($"/v1/batches/{id}/cancel", null);
        Assert.Equal(System.Net.HttpStatusCode.Conflict, cancel.StatusCode);
        var missing = await Assert.ThrowsAsync<ClientResultException>(() => fixture.GetBatchAsync("batch_00000000000000000000000000000000"));
        Assert.Equal(404, missing.Status);
    }

    /// <summary>Waits until the task hub has no instance row of the batch: its history is gone.</summary>
    private async Task WaitUntilPurgedAsync(string id)
    {
        var instances = new TableClient(fixture.StorageConnectionString, fixture.TaskHub + "Instances");
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (await HasRowAsync(instances, id))
        {
            Assert.True(DateTime.UtcNow < deadline, $"batch {id} was not purged within 2 minutes\n{fixture.Host.Output}");
            await Task.Delay(250);
        }
    }

    private static async Task<bool> HasRowAsync(TableClient table, string partition)
    {
        await foreach (var _ in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {partition}")))
        {
            return true;
        }

        return false;
    }
}
