using System.Text;
using System.Text.Json;
using Fanout.IntegrationTests.EndToEnd;
using Fanout.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace Fanout.IntegrationTests.Cli;

/// <summary>The <c>fanout</c> command as a process against the portable host as a process.</summary>
public sealed class CliTests(HostFixture fixture) : IClassFixture<HostFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fanout-cli-").FullName;

    private string Url => fixture.Host.BaseAddress.ToString();

    [Fact]
    public async Task Submit_with_watch_follows_the_batch_and_exits_0_when_every_line_succeeded()
    {
        var file = Write("ok.jsonl", FanoutTestApp.Jsonl(25));

        var run = await CliProcess.RunAsync("submit", file, "--watch", "--max-concurrency", "5", "--deadline", "2h", "--url", Url);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.StartsWith("batch_", run.Lines[0], StringComparison.Ordinal);
        Assert.Contains("completed: 25 succeeded, 0 failed of 25 lines", run.Lines[^1], StringComparison.Ordinal);

        // The cost at the end: the single endpoint is a standard member, priced by the fixture's Fanout:Pricing.
        Assert.Matches(@"; cost 0\.\d+ USD \(provisioned 0 · standard 0\.\d+ · batch 0\); lines provisioned 0 · standard 25 · batch 0 · cached 0$", run.Lines[^1]);
        Assert.Contains(run.Lines, l => l.StartsWith("completed 25/25 (100%)", StringComparison.Ordinal));
        Assert.DoesNotContain("polling instead", run.Error, StringComparison.Ordinal); // followed to the end on the event stream

        var results = await CliProcess.RunAsync("results", run.Lines[0], "--url", Url);
        Assert.True(results.ExitCode == 0, results.ToString());
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"p-{i}"), results.Lines.Select(CustomId));
        Assert.Contains("25 lines, 0 failed", results.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Estimate_reports_the_dry_run_and_exits_1_when_a_line_is_invalid()
    {
        var good = Write("estimate.jsonl", FanoutTestApp.Jsonl(30));
        var run = await CliProcess.RunAsync("estimate", good, "--deadline", "6h", "--url", Url);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains(run.Lines, l => l.StartsWith("plan live: cost ", StringComparison.Ordinal));
        Assert.Equal("lines 30, invalid 0", run.Lines[0]);
        Assert.StartsWith("prompt tokens ", run.Lines[1], StringComparison.Ordinal);
        Assert.Contains("output bound 960 tokens", run.Lines[1], StringComparison.Ordinal); // 30 lines x max_tokens 32

        var lines = Encoding.UTF8.GetString(FanoutTestApp.Jsonl(3)).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        lines.Insert(1, "{\"custom_id\": \"broken\", \"method\": \"GET\", \"url\": \"/v1/chat/completions\", \"body\": {}}");
        var bad = Write("estimate-bad.jsonl", Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));
        var invalid = await CliProcess.RunAsync("estimate", bad, "--url", Url);
        Assert.True(invalid.ExitCode == 1, invalid.ToString());
        Assert.Equal("lines 4, invalid 1", invalid.Lines[0]);
        Assert.Contains(invalid.Lines, l => l.Contains("line 1 (broken): invalid_method", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_batch_with_a_failed_line_exits_1_from_watch_results_and_errors()
    {
        var lines = Encoding.UTF8.GetString(FanoutTestApp.Jsonl(6)).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        lines.Insert(3, "{\"custom_id\": \"broken\", \"method\": \"GET\", \"url\": \"/v1/chat/completions\", \"body\": {}}");
        var file = Write("mixed.jsonl", Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));

        var submit = await CliProcess.RunAsync("submit", file, "--url", Url);
        Assert.True(submit.ExitCode == 0, submit.ToString());
        var id = submit.Lines.Single();

        var watch = await CliProcess.RunAsync("watch", id, "--url", Url);
        Assert.True(watch.ExitCode == 1, watch.ToString());
        Assert.Contains("completed: 6 succeeded, 1 failed of 7 lines", watch.Lines[^1], StringComparison.Ordinal);

        var output = Path.Combine(_dir, "out", "results.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        var results = await CliProcess.RunAsync("results", id, "-o", output, "--url", Url);
        Assert.True(results.ExitCode == 1, results.ToString());
        Assert.Equal(["p-0", "p-1", "p-2", "broken", "p-3", "p-4", "p-5"], File.ReadAllLines(output).Select(CustomId));
        Assert.False(File.Exists(output + ".part"));

        var errors = await CliProcess.RunAsync("errors", id, "--url", Url);
        Assert.True(errors.ExitCode == 1, errors.ToString());
        var error = Assert.Single(errors.Lines);
        Assert.Equal("invalid_method", JsonDocument.Parse(error).RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Partial_results_cancel_and_list_work_on_a_running_batch()
    {
        fixture.Simulator.Options.LatencyMs = 200;
        try
        {
            var file = Write("prompts.txt", Encoding.UTF8.GetBytes(string.Join('\n', Enumerable.Range(0, 200).Select(i => $"slow prompt {i}"))));
            var id = (await CliProcess.RunAsync("submit", file, "-c", "2", "--url", Url)).Lines.Single();

            var partial = await CliProcess.RunAsync("results", id, "--partial", "--url", Url);
            Assert.True(partial.ExitCode == 0, partial.ToString());
            Assert.Contains("partial", partial.Error, StringComparison.Ordinal);
            Assert.Equal(Enumerable.Range(0, partial.Lines.Length).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), partial.Lines.Select(CustomId));

            var list = await CliProcess.RunAsync("list", "--url", Url);
            Assert.True(list.ExitCode == 0, list.ToString());
            Assert.StartsWith(id, list.Lines[1], StringComparison.Ordinal);
            var json = await CliProcess.RunAsync("list", "--json", "-n", "1", "--url", Url);
            Assert.Equal(id, JsonDocument.Parse(json.Output).RootElement.GetProperty("data")[0].GetProperty("id").GetString());

            var cancel = await CliProcess.RunAsync("cancel", id, "--url", Url);
            Assert.True(cancel.ExitCode == 0, cancel.ToString());
            Assert.Equal($"{id} cancelling", cancel.Lines.Single());

            var watch = await CliProcess.RunAsync("watch", id, "--url", Url);
            Assert.True(watch.ExitCode == 1, watch.ToString());
            Assert.Contains($"{id} cancelled:", watch.Lines[^1], StringComparison.Ordinal);
        }
        finally
        {
            fixture.Simulator.Options.LatencyMs = 10;
        }
    }

    [Fact]
    public async Task Errors_exit_2_with_one_clear_line()
    {
        var unknown = await CliProcess.RunAsync("watch", "no_such_batch", "--url", Url);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("batch_not_found", unknown.Error, StringComparison.Ordinal);

        var missing = await CliProcess.RunAsync("submit", Path.Combine(_dir, "absent.jsonl"), "--url", Url);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("no file", missing.Error, StringComparison.Ordinal);

        var unreachable = await CliProcess.RunAsync("list", "--url", "http://127.0.0.1:9");
        Assert.Equal(2, unreachable.ExitCode);
        Assert.Contains("cannot reach http://127.0.0.1:9/", unreachable.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", unreachable.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_falls_back_to_polling_without_an_event_stream_and_sends_the_key()
    {
        // A service with no /events route (an older Fanout): the CLI polls GET /api/batches/{id}.
        var polls = 0;
        var keys = new List<string>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        app.MapGet("/api/batches/{id}", (string id, HttpRequest request) =>
        {
            lock (keys)
            {
                keys.Add(request.Headers.Authorization.ToString());
            }

            var n = Interlocked.Increment(ref polls);
            return Results.Json(new
            {
                id,
                @object = "batch",
                status = n < 3 ? "in_progress" : "completed",
                created_at = 1,
                request_counts = new { total = 4, completed = n < 3 ? n : 4, failed = 0 },
                usage = new { prompt_tokens = 1, completion_tokens = 1, total_tokens = 2 },
            });
        });
        await app.StartAsync();

        var run = await CliProcess.RunAsync("watch", "b1", "--url", app.Urls.First(), "--key", "sekret");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("polling", run.Error, StringComparison.Ordinal);
        Assert.Contains("b1 completed: 4 succeeded, 0 failed of 4 lines", run.Lines[^1], StringComparison.Ordinal);
        Assert.True(polls >= 3);
        Assert.All(keys, k => Assert.Equal("Bearer sekret", k));
    }

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string? CustomId(string line) => JsonDocument.Parse(line).RootElement.GetProperty("custom_id").GetString();

    private string Write(string name, byte[] content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, content);
        return path;
    }
}
