using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Fanout.Client;
using Spectre.Console;

namespace Fanout.Cli.Commands;

/// <summary>
/// <c>fanout</c>: submit, watch, results, errors, cancel, list, against any Fanout (<c>--url</c>, <c>--key</c>).
/// Exit codes: see <see cref="ExitCodes"/>.
/// </summary>
public static class FanoutCommand
{
    /// <summary>The default service: the portable host's address.</summary>
    public const string DefaultUrl = "http://127.0.0.1:7071";

    /// <summary>The <c>User-Agent</c> of the command's calls.</summary>
    private const string UserAgent = "fanout-cli/1.0";

    /// <summary>Builds the root command, writing to the real console.</summary>
    public static RootCommand Create() => Create(AnsiConsole.Console, Console.Out, Console.Error);

    /// <summary>Builds the root command over the given outputs.</summary>
    public static RootCommand Create(IAnsiConsole console, TextWriter output, TextWriter log)
    {
        var url = new Option<string>("--url")
        {
            Description = "The Fanout service: the portable host or https://APP.azurewebsites.net (env FANOUT_URL).",
            Recursive = true,
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("FANOUT_URL") is { Length: > 0 } u ? u : DefaultUrl,
        };
        url.Validators.Add(r =>
        {
            if (!TryParseUrl(r.GetValueOrDefault<string>(), out _))
            {
                r.AddError("--url must be an absolute http:// or https:// URL, e.g. http://127.0.0.1:7071.");
            }
        });
        var key = new Option<string?>("--key")
        {
            Description = "Access key, sent as 'Authorization: Bearer KEY' (env FANOUT_KEY).",
            Recursive = true,
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("FANOUT_KEY"),
        };
        var root = new RootCommand("fanout: run large batches of LLM prompts on a Fanout service and watch them.") { url, key };

        FanoutClient Client(ParseResult p) => FanoutClient.Create(Url(p.GetValue(url)!), p.GetValue(key), UserAgent);
        Task<int> Run(ParseResult p, Func<FanoutClient, Task<int>> action) => RunAsync(Url(p.GetValue(url)!), log, () => Client(p), action);

        var idArgument = new Argument<string>("id") { Description = "The batch id." };

        var file = new Argument<FileInfo>("file") { Description = "A .jsonl file of OpenAI Batch lines, a .json {\"prompts\": [...]} form, or a text file of one prompt per line." };
        var watch = new Option<bool>("--watch", "-w") { Description = "Follow the batch until it finishes (exit code: every line succeeded or not)." };
        var cap = new Option<int?>("--max-concurrency", "-c") { Description = "Most calls in flight for this batch." };
        var deployment = new Option<string?>("--deployment", "-d") { Description = "Deployment for lines that name no model." };
        var budget = new Option<long?>("--max-total-tokens", "-b") { Description = "Token budget: no line is sent once the batch's usage reaches it (unsent lines end budget_exceeded)." };
        var deadline = new Option<string?>("--deadline") { Description = "Done by then, as cheaply as possible: an ISO 8601 UTC time or a duration such as 90m or 6h (the Batch API first when the pool has a batch member)." };
        var cache = new Option<bool>("--cache") { Description = "Answer lines from the response cache where an identical request was answered before, and send copies inside the batch once (\"cached\": true lines)." };
        var submit = new Command("submit", "Submit a batch file; prints the batch id.") { file, watch, cap, deployment, budget, deadline, cache };
        submit.SetAction((p, ct) => Run(p, async client =>
        {
            var path = p.GetValue(file)!;
            if (!path.Exists)
            {
                await log.WriteLineAsync($"error: no file '{path.FullName}'.").ConfigureAwait(false);
                return ExitCodes.Error;
            }

            var options = new BatchSubmitOptions
            {
                MaxConcurrency = p.GetValue(cap),
                Deployment = p.GetValue(deployment),
                MaxTotalTokens = p.GetValue(budget),
                Deadline = p.GetValue(deadline),
                Cache = p.GetValue(cache),
            };
            var id = (await client.SubmitFileAsync(path.FullName, options, ct).ConfigureAwait(false)).Id;
            await output.WriteLineAsync(id).ConfigureAwait(false);
            return p.GetValue(watch) ? await WatchAsync(client, id, console, output, log, ct).ConfigureAwait(false) : ExitCodes.Success;
        }));

        var estimate = new Command("estimate", "Dry run: validate a batch file and estimate its tokens, cost and time at quota; nothing is stored or sent.") { file, deployment, deadline, cache };
        estimate.SetAction((p, ct) => Run(p, async client =>
        {
            var path = p.GetValue(file)!;
            if (!path.Exists)
            {
                await log.WriteLineAsync($"error: no file '{path.FullName}'.").ConfigureAwait(false);
                return ExitCodes.Error;
            }

            var options = new BatchSubmitOptions { Deployment = p.GetValue(deployment), Deadline = p.GetValue(deadline), Cache = p.GetValue(cache) };
            var e = await client.EstimateFileAsync(path.FullName, options, ct).ConfigureAwait(false);
            await output.WriteLineAsync(BatchText.Estimate(e)).ConfigureAwait(false);
            return e.GetProperty("invalid").GetInt32() == 0 ? ExitCodes.Success : ExitCodes.LinesFailed;
        }));

        var retryWatch = new Option<bool>("--watch", "-w") { Description = "Follow the new batch until it finishes." };
        var retry = new Command("retry", "Run the failed and cancelled lines of a finished batch again; prints the new batch id (its results?merged=true is the whole output).") { idArgument, retryWatch };
        retry.SetAction((p, ct) => Run(p, async client =>
        {
            var id = (await client.RetryAsync(p.GetValue(idArgument)!, ct).ConfigureAwait(false)).Id;
            await output.WriteLineAsync(id).ConfigureAwait(false);
            return p.GetValue(retryWatch) ? await WatchAsync(client, id, console, output, log, ct).ConfigureAwait(false) : ExitCodes.Success;
        }));

        var watchCommand = new Command("watch", "Show a batch's live progress until it finishes.") { idArgument };
        watchCommand.SetAction((p, ct) => Run(p, client => WatchAsync(client, p.GetValue(idArgument)!, console, output, log, ct)));

        var partial = new Option<bool>("--partial", "-p") { Description = "While the batch runs, the finished lines so far (in input order)." };
        var outFile = new Option<FileInfo?>("--output", "-o") { Description = "Write to this file instead of standard output." };
        var results = new Command("results", "Fetch the ordered results (JSONL).") { idArgument, partial, outFile };
        results.SetAction((p, ct) => Run(p, client => OutputAsync(client, p.GetValue(idArgument)!, errors: false, p.GetValue(partial), p.GetValue(outFile), output, log, ct)));

        var errors = new Command("errors", "Fetch the failed lines (JSONL), in input order.") { idArgument, outFile };
        errors.SetAction((p, ct) => Run(p, client => OutputAsync(client, p.GetValue(idArgument)!, errors: true, partial: false, p.GetValue(outFile), output, log, ct)));

        var cancel = new Command("cancel", "Cancel a batch: unsent prompts are not sent, finished results are kept.") { idArgument };
        cancel.SetAction((p, ct) => Run(p, async client =>
        {
            var batch = await client.CancelAsync(p.GetValue(idArgument)!, ct).ConfigureAwait(false);
            await output.WriteLineAsync($"{batch.Id} {batch.Status}").ConfigureAwait(false);
            return ExitCodes.Success;
        }));

        var limit = new Option<int>("--limit", "-n") { Description = "How many batches (1-100).", DefaultValueFactory = _ => 20 };
        var after = new Option<string?>("--after") { Description = "List the batches after this id (the next page)." };
        var json = new Option<bool>("--json") { Description = "Print the list object as JSON." };
        var list = new Command("list", "List batches, newest first.") { limit, after, json };
        list.SetAction((p, ct) => Run(p, async client =>
        {
            if (p.GetValue(json))
            {
                var raw = await client.ListJsonAsync(p.GetValue(limit), p.GetValue(after), ct).ConfigureAwait(false);
                await output.WriteLineAsync(raw.GetRawText()).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            var page = await client.ListAsync(p.GetValue(limit), p.GetValue(after), ct).ConfigureAwait(false);

            await output.WriteLineAsync($"{"ID",-40} {"STATUS",-12} {"CREATED (UTC)",-19} {"DONE/TOTAL",12} {"FAILED",7}").ConfigureAwait(false);
            foreach (var b in page.Data)
            {
                var c = b.RequestCounts;
                var created = DateTimeOffset.FromUnixTimeSeconds(b.CreatedAt).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{b.Id,-40} {b.Status,-12} {created,-19} {$"{c.Done}/{c.Total}",12} {c.Failed,7}")).ConfigureAwait(false);
            }

            if (page.HasMore && page.Data.Count > 0)
            {
                await log.WriteLineAsync($"More: fanout list --after {page.Data[^1].Id}").ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }));

        root.Subcommands.Add(submit);
        root.Subcommands.Add(estimate);
        root.Subcommands.Add(retry);
        root.Subcommands.Add(watchCommand);
        root.Subcommands.Add(results);
        root.Subcommands.Add(errors);
        root.Subcommands.Add(cancel);
        root.Subcommands.Add(list);
        root.Subcommands.Add(WebhookCommand.Create(() => Console.In, output, log));
        return root;
    }

    private static async Task<int> WatchAsync(FanoutClient client, string id, IAnsiConsole console, TextWriter output, TextWriter log, CancellationToken cancellationToken)
    {
        var final = await new BatchWatcher(client, console, output, log).WatchAsync(id, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync(BatchText.Summary(final)).ConfigureAwait(false);
        return final.AllSucceeded ? ExitCodes.Success : ExitCodes.LinesFailed;
    }

    /// <summary>Copies results or errors, streamed; the exit code says whether every line copied succeeded.</summary>
    private static async Task<int> OutputAsync(FanoutClient client, string id, bool errors, bool partial, FileInfo? file, TextWriter output, TextWriter log, CancellationToken cancellationToken)
    {
        // A file appears only when complete: written under a temporary name, then renamed.
        var temp = file is null ? null : file.FullName + ".part";
        try
        {
            await using var fileStream = temp is null ? null : File.Create(temp);
            var lines = new OutputLineStream(fileStream is null
                ? line => output.WriteAsync(Encoding.UTF8.GetString(line.Span))
                : line => fileStream.WriteAsync(line, cancellationToken).AsTask());
            var complete = errors
                ? await client.CopyErrorsAsync(id, lines, cancellationToken).ConfigureAwait(false)
                : await client.CopyResultsAsync(id, lines, partial, cancellationToken).ConfigureAwait(false);
            await lines.FlushAsync(cancellationToken).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (fileStream is not null)
            {
                await fileStream.DisposeAsync().ConfigureAwait(false);
                File.Move(temp!, file!.FullName, overwrite: true);
            }

            var note = complete ? string.Empty : " so far (partial: the batch is still running)";
            await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{lines.Lines} lines, {lines.Failed} failed{note}{(file is null ? string.Empty : $" -> {file.FullName}")}")).ConfigureAwait(false);
            return lines.Failed == 0 ? ExitCodes.Success : ExitCodes.LinesFailed;
        }
        finally
        {
            if (temp is not null && File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    private static async Task<int> RunAsync(Uri url, TextWriter log, Func<FanoutClient> create, Func<FanoutClient, Task<int>> action)
    {
        try
        {
            using var client = create();
            return await action(client).ConfigureAwait(false);
        }
        catch (FanoutApiException e)
        {
            var message = e.Code == FanoutApiException.UnauthorizedCode && !e.HasErrorObject ? "The service asks for a key: pass --key KEY (or set FANOUT_KEY)." : e.Message;
            await log.WriteLineAsync($"error: {e.Code}: {message}").ConfigureAwait(false);
            return ExitCodes.Error;
        }
        catch (HttpRequestException e)
        {
            await log.WriteLineAsync($"error: cannot reach {url}: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Error;
        }
        catch (IOException e)
        {
            await log.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Error;
        }
    }

    private static bool TryParseUrl(string? text, out Uri url)
    {
        url = null!;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https"))
        {
            return false;
        }

        // Relative API paths resolve under the base only when it ends with '/'.
        url = parsed.AbsoluteUri.EndsWith('/') ? parsed : new Uri(parsed.AbsoluteUri + "/");
        return true;
    }

    private static Uri Url(string text) => TryParseUrl(text, out var url) ? url : throw new ArgumentException("Invalid --url.", nameof(text));
}
