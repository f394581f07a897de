using Fanout.IntegrationTests.Infrastructure;
using Xunit;

namespace Fanout.IntegrationTests.LocalDev;

/// <summary>A published host runs from its output folder, with no source tree: on configured storage, or on an Azurite found where the README says.</summary>
public sealed class PublishedHostTests(PublishedHost published, AzuriteFixture azurite) : IClassFixture<PublishedHost>, IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task Published_host_runs_a_batch_from_its_output_folder_with_a_connection_string()
    {
        var input = WriteBatch(3);
        var results = Path.Combine(published.WorkingFolder, "results-cs");

        var run = await published.RunHostAsync(
            "run", input, "--max-concurrency", "2", "--out", results,
            $"--Fanout:Storage:ConnectionString={azurite.ConnectionString}",
            "--Fanout:Durable:TaskHubName", AzuriteFixture.UniqueTaskHubName("Pub"),
            $"--Fanout:Storage:InputContainer={AzuriteFixture.UniqueContainerName("in")}",
            $"--Fanout:Storage:OutputContainer={AzuriteFixture.UniqueContainerName("out")}",
            $"--Fanout:Storage:WorkContainer={AzuriteFixture.UniqueContainerName("work")}");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("(maxConcurrency 2)", run.Output, StringComparison.Ordinal);
        Assert.Contains("\"total\":3,\"completed\":3,\"failed\":0", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("embedded Azurite", run.Output, StringComparison.Ordinal);
        var output = Assert.Single(Directory.GetFiles(results, "output.jsonl", SearchOption.AllDirectories));
        Assert.Equal(3, File.ReadAllLines(output).Length);
        Assert.Contains("  q-0: ", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Published_host_on_embedded_defaults_starts_Azurite_from_the_configured_path()
    {
        var input = WriteBatch(2);
        var data = Path.Combine(published.WorkingFolder, "azurite-" + Guid.NewGuid().ToString("N"));

        var run = await published.RunHostAsync(
            "run", input, "--out", Path.Combine(published.WorkingFolder, "results-embedded"),
            $"--Fanout:Host:Azurite:Path={Path.Combine(PublishedHost.Repo, "node_modules")}",
            $"--Fanout:Host:DataDirectory={data}",
            "--Fanout:Host:Azurite:OrphanGrace=00:00:01");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Storage: started embedded Azurite", run.Output, StringComparison.Ordinal);
        Assert.Contains("\"total\":2,\"completed\":2,\"failed\":0", run.Output, StringComparison.Ordinal);
        Assert.True(await AzuriteWatch.WaitUntilNoneAsync(data, TimeSpan.FromSeconds(20)), "The embedded Azurite outlived its host.");
    }

    [Fact]
    public async Task Published_host_with_no_storage_and_no_Azurite_says_what_to_install()
    {
        var run = await published.RunHostAsync($"--Fanout:Host:DataDirectory={Path.Combine(published.WorkingFolder, "none")}");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Configuration error:", run.Error, StringComparison.Ordinal);
        Assert.Contains("npm install azurite@", run.Error, StringComparison.Ordinal);
        Assert.Contains("Fanout:Storage:ConnectionString", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("run", "--help")]
    public async Task Every_command_answers_help(params string[] args)
    {
        var run = await published.RunHostAsync(args);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Usage:", run.Output, StringComparison.Ordinal);
        Assert.Contains(args.Length == 1 ? "run" : "--max-concurrency", run.Output, StringComparison.Ordinal);
    }

    private string WriteBatch(int lines)
    {
        var path = Path.Combine(published.WorkingFolder, $"batch-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path, Enumerable.Range(0, lines).Select(i =>
            $$$"""{"custom_id":"q-{{{i}}}","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say {{{i}}}"}]}}"""));
        return path;
    }
}
