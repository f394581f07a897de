using Fanout.Host.Cli;
using Xunit;
using RunBatch = Fanout.Client.Models.FanoutBatch;
using RunCounts = Fanout.Client.Models.BatchRequestCounts;

namespace Fanout.IntegrationTests.Cli;

/// <summary>The host's <c>run</c> command line (System.CommandLine) and how it reads the service's typed replies.</summary>
public sealed class RunCommandTests
{
    [Fact]
    public void Run_reads_its_options_and_passes_host_settings_through_in_either_form()
    {
        string[] args = ["run", "in.jsonl", "--max-concurrency", "4", "--Fanout:Storage:ConnectionString", "UseDevelopmentStorage=true", "--deployment", "d1", "--Fanout:Batch:ChunkSize=10"];

        var (settings, rest) = HostSettingArgs.Split(args);
        var parsed = HostCommandLine.Create(settings).Parse(rest);

        Assert.Empty(parsed.Errors);
        Assert.Equal("run", parsed.CommandResult.Command.Name);
        Assert.Equal("in.jsonl", parsed.GetValue<FileInfo?>("file")!.Name);
        Assert.Equal(4, parsed.GetValue<int?>("--max-concurrency"));
        Assert.Equal("d1", parsed.GetValue<string?>("--deployment"));
        Assert.Empty(parsed.UnmatchedTokens);
        Assert.Equal(["--Fanout:Storage:ConnectionString=UseDevelopmentStorage=true", "--Fanout:Batch:ChunkSize=10"], settings);
    }

    [Fact]
    public void Run_without_a_file_leaves_the_default_to_the_command()
    {
        var (settings, rest) = HostSettingArgs.Split(["run", "--Fanout:Host:Urls", "http://127.0.0.1:0", "--out=C:/results"]);
        var parsed = HostCommandLine.Create(settings).Parse(rest);

        Assert.Empty(parsed.Errors);
        Assert.Null(parsed.GetValue<FileInfo?>("file"));
        Assert.Equal("results", parsed.GetValue<DirectoryInfo?>("--out")!.Name);
        Assert.Equal(["--Fanout:Host:Urls=http://127.0.0.1:0"], settings);
    }

    [Fact]
    public void A_bad_option_value_is_a_parse_error_not_an_exception()
    {
        var parsed = HostCommandLine.Create().Parse(["run", "--max-concurrency", "many"]);

        Assert.NotEmpty(parsed.Errors);
    }

    [Theory]
    [InlineData(new[] { "run" }, true)]
    [InlineData(new[] { "--help" }, true)]
    [InlineData(new[] { "--Fanout:Host:Urls=http://127.0.0.1:7071" }, false)]
    [InlineData(new string[0], false)]
    public void Only_commands_and_help_go_to_the_parser(string[] args, bool handled) => Assert.Equal(handled, HostCommandLine.Handles(args));

    [Fact]
    public void Summary_of_an_answer_is_its_custom_id_and_the_start_of_the_content()
    {
        var line = """{"id":"req_1","custom_id":"q-1","response":{"status_code":200,"body":{"choices":[{"message":{"role":"assistant","content":"Hello\nworld"}}]}},"error":null}""";

        Assert.Equal("q-1: Hello world", BatchRunner.Summarise(line));
    }

    [Fact]
    public void Summary_of_an_error_line_is_its_error_object_as_written()
    {
        var line = """{"id":"req_2","custom_id":"q-2","response":null,"error":{"code":"rate_limit_exhausted","message":"gave up"}}""";

        Assert.Equal("q-2: error {\"code\":\"rate_limit_exhausted\",\"message\":\"gave up\"}", BatchRunner.Summarise(line));
    }

    [Fact]
    public void Progress_bar_shows_done_of_total_and_failures()
    {
        var batch = new RunBatch("b", "in_progress", 4, new RunCounts(10, 4, 1), null, null, null, null);

        Assert.Equal("[###############...............] 5/10 in_progress, 1 failed, 2.0 s", ProgressLine.Format(batch, TimeSpan.FromSeconds(2)));
    }
}
