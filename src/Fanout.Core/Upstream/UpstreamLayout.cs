using System.Globalization;

namespace Fanout.Core.Upstream;

/// <summary>
/// The names and limits of a batch's upstream (Batch API) files and batches. Every name is derived from the Fanout batch
/// id and the part number, so a step that runs again after a crash finds what it already made instead of making (and
/// paying for) it twice.
/// </summary>
public static class UpstreamLayout
{
    /// <summary>Most lines in one upstream input file (Azure Global Batch and OpenAI: 100,000).</summary>
    public const int MaxLinesPerFile = 100_000;

    /// <summary>Most bytes in one upstream input file (Azure Global Batch: 200 MB).</summary>
    public const long MaxBytesPerFile = 200L * 1024 * 1024;

    /// <summary>The metadata key of an upstream batch naming the Fanout batch it serves.</summary>
    public const string BatchKey = "fanout_batch";

    /// <summary>The metadata key of an upstream batch naming its part.</summary>
    public const string PartKey = "fanout_part";

    /// <summary>The only line url sent upstream (embeddings and Responses lines run live).</summary>
    public const string ChatUrl = "/chat/completions";

    /// <summary>The file name of part <paramref name="part"/> of <paramref name="batchId"/>.</summary>
    public static string FileName(string batchId, int part) => $"fanout-{batchId}-p{part.ToString("D3", CultureInfo.InvariantCulture)}.jsonl";

    /// <summary>The upstream <c>custom_id</c> of line <paramref name="index"/> (the user's own may repeat or be missing).</summary>
    public static string CustomId(int index) => "fanout-" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>The line index an upstream <c>custom_id</c> names; false for any other text.</summary>
    public static bool TryParseCustomId(string? customId, out int index)
    {
        index = -1;
        return customId is not null && customId.StartsWith("fanout-", StringComparison.Ordinal)
            && int.TryParse(customId.AsSpan(7), NumberStyles.None, CultureInfo.InvariantCulture, out index);
    }

    /// <summary>The attempt journal holding what part <paramref name="part"/> answered (its tier, lines and tokens).</summary>
    public static string Journal(string batchId, int part) => $"{Storage.BatchBlobLayout.AttemptsPrefix(batchId)}upstream-p{part.ToString("D3", CultureInfo.InvariantCulture)}.jsonl";
}
