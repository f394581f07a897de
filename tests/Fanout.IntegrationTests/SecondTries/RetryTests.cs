using System.Net;
using System.Text.Json;
using Azure.Storage.Blobs;
using Fanout.IntegrationTests.Infrastructure;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.SecondTries;

/// <summary>
/// <c>POST /api/batches/{id}/retry</c> on the portable host as a process: a batch run while the simulator fails 30 % of
/// calls, retried (and the retry retried) once it no longer fails, merges into output byte-identical to a run that never
/// failed.
/// </summary>
public sealed class RetryTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    private const int Count = 200;

    // No retries inside Fanout beyond one durable retry, so that 30 % failing calls leave failed lines.
    private static readonly Dictionary<string, string> FewRetries = new()
    {
        ["Fanout:OpenAI:MaxRetries"] = "0",
        ["Fanout:OpenAI:MaxDurableRetries"] = "0",
    };

    [Fact]
    public async Task Failed_lines_retried_until_they_answer_merge_into_the_output_of_a_run_without_failures()
    {
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 10, DeterministicResponses = true, Seed = 7 });
        var jsonl = FanoutTestApp.Jsonl(Count, i => $"retry test prompt {i}");
        // The same key gives the same batch id on both hosts (each has its own storage), so line ids match too.
        var key = Guid.NewGuid().ToString("N");

        byte[] reference;
        await using (var clean = await HostProcess.StartAsync(SecondTryHost.Settings(azurite.ConnectionString, simulator, "RetryRef", FewRetries)))
        {
            var id = await SubmitAsync(clean, jsonl, key);
            await SecondTryHost.WaitAsync(clean, id);
            reference = await clean.Http.GetByteArrayAsync($"/api/batches/{id}/results");
        }

        var settings = SecondTryHost.Settings(azurite.ConnectionString, simulator, "Retry", FewRetries);
        await using var host = await HostProcess.StartAsync(settings);
        simulator.Options.FailureRate = 0.3;
        var original = await SubmitAsync(host, jsonl, key);
        var first = await SecondTryHost.WaitAsync(host, original);
        var firstOutput = await host.Http.GetByteArrayAsync($"/api/batches/{original}/results");
        var failed = SecondTryHost.Lines(firstOutput).Select((l, i) => (Line: l, Index: i)).Where(l => l.Line.GetProperty("error").ValueKind != JsonValueKind.Null).ToList();
        output.WriteLine($"first run: {failed.Count} of {Count} lines failed; counts {first.GetProperty("request_counts")}");
        Assert.NotEmpty(failed);
        Assert.NotEqual(reference, firstOutput);

        // First retry while every call fails: its lines fail again.
        simulator.Options.FailureRate = 1.0;
        var retry1 = await RetryAsync(host, original);
        var retried = await SecondTryHost.WaitAsync(host, retry1.GetProperty("id").GetString()!);
        Assert.Equal(original, retry1.GetProperty("metadata").GetProperty("retry_of").GetString());
        Assert.Equal(failed.Count, retried.GetProperty("request_counts").GetProperty("total").GetInt32());
        Assert.Equal(failed.Count, retried.GetProperty("request_counts").GetProperty("failed").GetInt32());
        var retry1Output = SecondTryHost.Lines(await host.Http.GetByteArrayAsync($"/api/batches/{retry1.GetProperty("id").GetString()}/results"));
        Assert.Equal(failed.Select(f => f.Line.GetProperty("custom_id").GetString()), retry1Output.Select(l => l.GetProperty("custom_id").GetString()));

        // The retry of the retry, with the simulator healthy again, merges against the first retry's merged output.
        simulator.Options.FailureRate = 0;
        var retry2 = await RetryAsync(host, retry1.GetProperty("id").GetString()!);
        var retry2Id = retry2.GetProperty("id").GetString()!;
        Assert.Equal(retry1.GetProperty("id").GetString(), retry2.GetProperty("metadata").GetProperty("retry_of").GetString());
        var done = await SecondTryHost.WaitAsync(host, retry2Id);
        Assert.Equal(failed.Count, done.GetProperty("request_counts").GetProperty("completed").GetInt32());

        var merged = await host.Http.GetByteArrayAsync($"/api/batches/{retry2Id}/results?merged=true");
        Assert.Equal(reference, merged);
        var blob = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(settings["Fanout:Storage:OutputContainer"]).GetBlobClient($"{retry2Id}/merged.jsonl");
        Assert.Equal(reference, (await blob.DownloadContentAsync()).Value.Content.ToArray());

        // Nothing left to retry.
        using var none = await host.Http.PostAsync($"/api/batches/{retry2Id}/retry", null);
        Assert.Equal(HttpStatusCode.Conflict, none.StatusCode);
        Assert.Equal("no_failed_lines", (await SecondTryHost.JsonAsync(none)).GetProperty("error").GetProperty("code").GetString());
        using var notARetry = await host.Http.GetAsync($"/api/batches/{original}/results?merged=true");
        Assert.Equal(HttpStatusCode.BadRequest, notARetry.StatusCode);
        using var unknown = await host.Http.PostAsync("/api/batches/no-such-batch/retry", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    private static async Task<string> SubmitAsync(HostProcess host, byte[] jsonl, string key)
    {
        using var submit = await SecondTryHost.PostJsonlAsync(host.Http, "/api/batches?maxConcurrency=10", jsonl, key);
        Assert.Equal(HttpStatusCode.Accepted, submit.StatusCode);
        return (await SecondTryHost.JsonAsync(submit)).GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> RetryAsync(HostProcess host, string id)
    {
        using var response = await host.Http.PostAsync($"/api/batches/{id}/retry", null);
        var body = await SecondTryHost.JsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body.ToString());
        Assert.Equal($"/api/batches/{body.GetProperty("id").GetString()}", response.Headers.Location?.ToString());
        Assert.Equal(10, body.GetProperty("max_concurrency").GetInt32());
        return body;
    }
}
