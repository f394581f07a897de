using System.Net;
using System.Text.Json;
using Fanout.Cli.Client;
using Spectre.Console;

namespace Fanout.Cli.Commands;

/// <summary>
/// Follows a batch until it finishes: from its event stream (<c>/events</c>), falling back to polling
/// <c>GET /api/batches/{id}</c> when the stream is unavailable or breaks. On a terminal it draws a progress bar; otherwise
/// it writes a line at each status change and at most every <see cref="PlainInterval"/>.
/// </summary>
internal sealed class BatchWatcher(FanoutClient client, IAnsiConsole console, TextWriter output, TextWriter log)
{
    /// <summary>How often the batch is read when polling.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>Longest gap between two plain progress lines.</summary>
    public static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(2);

    /// <summary>Watches <paramref name="id"/> and returns its final batch object.</summary>
    public async Task<JsonElement> WatchAsync(string id, CancellationToken cancellationToken)
    {
        JsonElement final = default;
        if (console.Profile.Capabilities.Interactive)
        {
            await console.Progress()
                .AutoClear(false)
                .Columns(new ProgressBarColumn(), new PercentageColumn(), new TaskDescriptionColumn { Alignment = Justify.Left })
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask(id, maxValue: 1);
                    final = await FollowAsync(id, batch =>
                    {
                        var (total, completed, failed) = BatchText.Counts(batch);
                        task.MaxValue = Math.Max(1, total);
                        task.Value = completed + failed;
                        task.Description = Markup.Escape(BatchText.Progress(batch));
                    }, cancellationToken).ConfigureAwait(false);
                    task.StopTask();
                }).ConfigureAwait(false);
        }
        else
        {
            string? lastStatus = null;
            var lastLine = DateTimeOffset.MinValue;
            final = await FollowAsync(id, batch =>
            {
                var now = DateTimeOffset.UtcNow;
                if (BatchText.Status(batch) != lastStatus || now - lastLine >= PlainInterval)
                {
                    output.WriteLine(BatchText.Progress(batch));
                    lastStatus = BatchText.Status(batch);
                    lastLine = now;
                }
            }, cancellationToken).ConfigureAwait(false);
        }

        return final;
    }

    /// <summary>Calls <paramref name="onUpdate"/> with each batch object until the batch has a final status.</summary>
    public async Task<JsonElement> FollowAsync(string id, Action<JsonElement> onUpdate, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var batch in client.EventsAsync(id, cancellationToken).ConfigureAwait(false))
            {
                onUpdate(batch);
                if (BatchText.IsFinal(batch))
                {
                    return batch;
                }
            }

            await log.WriteLineAsync("The event stream ended early; polling instead.").ConfigureAwait(false);
        }
        catch (FanoutApiException e) when (e.Code is "batch_not_found" or "invalid_batch_id" or "unauthorized")
        {
            throw;
        }
        catch (Exception e) when (e is FanoutApiException or HttpRequestException or IOException or JsonException && !cancellationToken.IsCancellationRequested)
        {
            await log.WriteLineAsync($"The event stream is unavailable ({Reason(e)}); polling instead.").ConfigureAwait(false);
        }

        while (true)
        {
            var batch = await client.GetAsync(id, cancellationToken).ConfigureAwait(false);
            onUpdate(batch);
            if (BatchText.IsFinal(batch))
            {
                return batch;
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string Reason(Exception e) => e is FanoutApiException { Status: HttpStatusCode.NotFound } ? "this service has no /events" : e.Message;
}
