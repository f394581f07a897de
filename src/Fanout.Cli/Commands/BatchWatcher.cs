using Fanout.Client;
using Fanout.Client.Models;
using Spectre.Console;

namespace Fanout.Cli.Commands;

/// <summary>
/// Shows a batch until it finishes, as <see cref="FanoutClient.WatchAsync"/> follows it (its event stream, else polling).
/// On a terminal it draws a progress bar; otherwise it writes a line at each status change and at most every
/// <see cref="PlainInterval"/>.
/// </summary>
internal sealed class BatchWatcher(FanoutClient client, IAnsiConsole console, TextWriter output, TextWriter log)
{
    /// <summary>Longest gap between two plain progress lines.</summary>
    public static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(2);

    /// <summary>Watches <paramref name="id"/> and returns its final batch object.</summary>
    public async Task<FanoutBatch> WatchAsync(string id, CancellationToken cancellationToken)
    {
        FanoutBatch? final = null;
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
                        task.MaxValue = Math.Max(1, batch.RequestCounts.Total);
                        task.Value = batch.RequestCounts.Done;
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
                if (batch.Status != lastStatus || now - lastLine >= PlainInterval)
                {
                    output.WriteLine(BatchText.Progress(batch));
                    lastStatus = batch.Status;
                    lastLine = now;
                }
            }, cancellationToken).ConfigureAwait(false);
        }

        return final!;
    }

    /// <summary>Calls <paramref name="onUpdate"/> with each batch object until the batch has a final status, and returns that one.</summary>
    private async Task<FanoutBatch> FollowAsync(string id, Action<FanoutBatch> onUpdate, CancellationToken cancellationToken)
    {
        FanoutBatch? last = null;
        await foreach (var batch in client.WatchAsync(id, log.WriteLine, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            onUpdate(batch);
            last = batch;
        }

        // The watch ends only at a final status (or throws).
        return last!;
    }
}
