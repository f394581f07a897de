using System.CommandLine;
using Fanout.Client;
using Fanout.Host.Apis;
using Fanout.Host.Extensions;
using Fanout.LocalDev;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Fanout.Host.Cli;

/// <summary>
/// <c>run [FILE] [--max-concurrency N] [--deployment NAME] [--out DIR] [--Key=value ...]</c>: starts the host (on
/// embedded defaults unless settings say otherwise), submits a JSONL batch through the public HTTP API, shows progress,
/// saves the ordered results and prints the first lines.
/// </summary>
public static class RunCommand
{
    /// <summary>Builds the <c>run</c> command; <paramref name="hostSettings"/> (<c>--Key=value</c>) configure the host it starts.</summary>
    public static Command Create(IReadOnlyList<string> hostSettings)
    {
        var file = new Argument<FileInfo?>("file")
        {
            Description = "A .jsonl file of OpenAI Batch lines (default: samples/sample.jsonl of the checkout, else the one next to the app).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var cap = new Option<int?>("--max-concurrency") { Description = "Most calls in flight for this batch (default: Fanout:Batch:DefaultMaxConcurrency)." };
        var deployment = new Option<string?>("--deployment") { Description = "Deployment for lines that name no model." };
        var outDir = new Option<DirectoryInfo?>("--out") { Description = "Where the local copy of the results goes (default: .fanout/results)." };
        var run = new Command("run", "Start the host, run one batch through its HTTP API, save the ordered results and print the first lines.")
        {
            file, cap, deployment, outDir,
        };
        run.TreatUnmatchedTokensAsErrors = false;
        run.SetAction((p, ct) => ExecuteAsync(
            p.GetValue(file), p.GetValue(cap), p.GetValue(deployment), p.GetValue(outDir), [.. hostSettings, .. p.UnmatchedTokens], ct));
        return run;
    }

    /// <summary>Runs the command with its arguments (after <c>run</c>); returns the process exit code.</summary>
    public static Task<int> ExecuteAsync(string[] args) => HostCommandLine.InvokeAsync(["run", .. args]);

    /// <summary>True for exceptions that mean the configuration is wrong (reported as one line, exit code 2).</summary>
    public static bool IsConfigurationError(Exception e) => e
        is Microsoft.Extensions.Options.OptionsValidationException
        or System.ComponentModel.DataAnnotations.ValidationException
        or FormatException
        or AzuriteNotFoundException
        || (e is InvalidOperationException && e.Message.Contains("configuration value", StringComparison.OrdinalIgnoreCase));

    private static async Task<int> ExecuteAsync(
        FileInfo? file, int? cap, string? deployment, DirectoryInfo? outDir, IReadOnlyList<string> hostArgs, CancellationToken cancellationToken)
    {
        var repoRoot = RepoRoot.Find(Directory.GetCurrentDirectory());
        var input = file?.FullName ?? DefaultInput(repoRoot);
        if (!File.Exists(input))
        {
            await Console.Error.WriteLineAsync($"Input file not found: {input}");
            return 2;
        }

        var builder = WebApplication.CreateBuilder([.. hostArgs]);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        // A free loopback port unless Fanout:Host:Urls (or urls) says otherwise.
        await using var embedded = await builder.AddFanoutHostAsync(Console.Out, cancellationToken, defaultUrls: "http://127.0.0.1:0");
        await using var app = builder.Build();
        app.MapBatchApi();
        await app.StartAsync(cancellationToken);
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            await Console.Out.WriteLineAsync($"Fanout host listening on {address}");
            var key = app.Services.GetRequiredService<IOptions<FanoutHostOptions>>().Value.Key;
            using var client = FanoutClient.Create(new Uri(address), key, "fanout-run/1.0");
            var results = outDir?.FullName ?? Path.Combine(repoRoot ?? Directory.GetCurrentDirectory(), ".fanout", "results");
            return await new BatchRunner(client, Console.Out, Console.Error).RunAsync(input, cap, deployment, results, cancellationToken);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>The bundled sample: the checkout's, else the copy published next to the app.</summary>
    private static string DefaultInput(string? repoRoot) =>
        Path.Combine(repoRoot ?? AppContext.BaseDirectory, "samples", "sample.jsonl");
}
