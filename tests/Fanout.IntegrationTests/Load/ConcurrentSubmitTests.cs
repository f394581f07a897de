using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fanout.IntegrationTests.Infrastructure;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.Load;

/// <summary>
/// Many submits at once against the real host on embedded defaults (its own Azurite, which it asks to save before it
/// answers 202): an answer can be trusted. Every 202 is exactly one listed batch, every other answer created none, and
/// none is a 500.
/// </summary>
public sealed class ConcurrentSubmitTests(ITestOutputHelper output)
{
    private const int Submits = 300;

    [Fact]
    public async Task Concurrent_submits_never_answer_500_and_every_202_is_exactly_one_listed_batch()
    {
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 5 });
        var dataDirectory = Path.Combine(Path.GetTempPath(), "fanout-submits-" + Guid.NewGuid().ToString("N"));
        var host = await HostProcess.StartAsync(new Dictionary<string, string>
        {
            ["Fanout:Host:DataDirectory"] = dataDirectory,
            ["Fanout:OpenAI:Endpoint"] = simulator.BaseUri.ToString(),
            ["Fanout:OpenAI:ApiKey"] = "simulator",
            ["Fanout:Host:WatchBlobs"] = "false",
        });
        try
        {
            using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
            var started = System.Diagnostics.Stopwatch.StartNew();
            var answers = await Task.WhenAll(Enumerable.Range(0, Submits).Select(i => SubmitAsync(http, i)));
            var took = started.Elapsed;

            var accepted = answers.Where(a => a.Status == HttpStatusCode.Accepted).Select(a => a.BatchId!).ToList();
            var byStatus = answers.GroupBy(a => (int)a.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}");
            output.WriteLine($"{Submits} concurrent submits in {took.TotalSeconds:F1} s: {string.Join(", ", byStatus)}; " +
                $"slowest answer {answers.Max(a => a.Took).TotalSeconds:F1} s, median {answers.Select(a => a.Took).Order().ElementAt(Submits / 2).TotalSeconds:F1} s");

            Assert.DoesNotContain(answers, a => (int)a.Status >= 500 && a.Status != HttpStatusCode.ServiceUnavailable);
            Assert.All(answers.Where(a => a.Status != HttpStatusCode.Accepted), a =>
            {
                // The only other answer allowed is "busy, come back" before anything was scheduled.
                Assert.Equal(HttpStatusCode.ServiceUnavailable, a.Status);
                Assert.True(a.RetryAfter, "a 503 without Retry-After");
            });
            Assert.Equal(accepted.Count, accepted.Distinct(StringComparer.Ordinal).Count());
            Assert.NotEmpty(accepted);

            var listed = await ListAllAsync(http);
            Assert.Equal(accepted.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        }
        finally
        {
            await host.DisposeAsync();
            await AzuriteWatch.RemoveAsync(dataDirectory);
        }
    }

    private static async Task<Answer> SubmitAsync(HttpClient http, int i)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        using var response = await http.PostAsJsonAsync("/api/batches", new { prompts = new[] { $"concurrent {i} a", $"concurrent {i} b" }, maxConcurrency = 2 });
        string? id = null;
        if (response.StatusCode == HttpStatusCode.Accepted)
        {
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            id = body.RootElement.GetProperty("id").GetString();
        }

        return new Answer(response.StatusCode, id, response.Headers.RetryAfter is not null, started.Elapsed);
    }

    private static async Task<List<string>> ListAllAsync(HttpClient http)
    {
        var ids = new List<string>();
        string? after = null;
        while (true)
        {
            using var page = JsonDocument.Parse(await http.GetStringAsync("/api/batches?limit=100" + (after is null ? string.Empty : "&after=" + after)));
            var data = page.RootElement.GetProperty("data").EnumerateArray().Select(b => b.GetProperty("id").GetString()!).ToList();
            ids.AddRange(data);
            if (!page.RootElement.GetProperty("has_more").GetBoolean() || data.Count == 0)
            {
                return ids;
            }

            after = data[^1];
        }
    }

    private sealed record Answer(HttpStatusCode Status, string? BatchId, bool RetryAfter, TimeSpan Took);
}
