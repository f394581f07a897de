using Fanout.Client.Models;

namespace Fanout.Host.Cli;

/// <summary>The progress bar of <c>run</c>: one line per poll when the output is redirected, else redrawn in place.</summary>
internal static class ProgressLine
{
    private const int Width = 30;

    /// <summary>The text of the bar for a batch.</summary>
    public static string Format(FanoutBatch batch, TimeSpan elapsed)
    {
        var counts = batch.RequestCounts;
        var filled = counts.Total == 0 ? 0 : counts.Done * Width / counts.Total;
        var bar = new string('#', filled) + new string('.', Width - filled);
        return $"[{bar}] {counts.Done}/{counts.Total} {batch.Status}, {counts.Failed} failed, {elapsed.TotalSeconds:F1} s";
    }

    /// <summary>Writes the bar.</summary>
    public static void Write(TextWriter output, FanoutBatch batch, TimeSpan elapsed)
    {
        var text = Format(batch, elapsed);
        if (!ReferenceEquals(output, Console.Out) || Console.IsOutputRedirected)
        {
            output.WriteLine(text);
        }
        else
        {
            output.Write("\r" + text.PadRight(Console.WindowWidth > 0 ? Math.Min(Console.WindowWidth - 1, 100) : 80));
        }
    }
}
