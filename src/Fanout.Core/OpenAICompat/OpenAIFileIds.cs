using System.Globalization;
using System.Text.RegularExpressions;

namespace Fanout.Core.OpenAICompat;

/// <summary>
/// The ids and purposes of the OpenAI-compatible surface: uploaded files are <c>file-…</c>, a batch's output and error
/// files are <c>file-{batch id}-output</c> / <c>-error</c>, batches made here are <c>batch_…</c> ids that sort newest first.
/// </summary>
public static partial class OpenAIFileIds
{
    /// <summary>Purpose of uploaded input files.</summary>
    public const string BatchPurpose = "batch";

    /// <summary>Purpose of a batch's output and error files.</summary>
    public const string BatchOutputPurpose = "batch_output";

    private const string OutputSuffix = "-output";
    private const string ErrorSuffix = "-error";

    /// <summary>A new file id.</summary>
    public static string NewFileId() => "file-" + Guid.NewGuid().ToString("N")[..24];

    /// <summary>A new batch id whose name sorts newest first: inverted ticks, then randomness.</summary>
    public static string NewBatchId(DateTimeOffset now)
        => "batch_" + (long.MaxValue - now.UtcTicks).ToString("x16", CultureInfo.InvariantCulture) + Guid.NewGuid().ToString("N")[..16];

    /// <summary>True when <paramref name="id"/> has the shape of a file id (uploaded or a batch's).</summary>
    public static bool IsFileId(string id) => FileId().IsMatch(id);

    /// <summary>The id of a batch's output file (<paramref name="errors"/>: its error file).</summary>
    public static string BatchFileId(string batchId, bool errors) => $"file-{batchId}{(errors ? ErrorSuffix : OutputSuffix)}";

    /// <summary>The batch and kind of a batch output file id, or null for an uploaded file.</summary>
    public static (string BatchId, bool Errors)? ParseBatchFileId(string fileId)
    {
        ArgumentNullException.ThrowIfNull(fileId);
        foreach (var (suffix, errors) in new[] { (OutputSuffix, false), (ErrorSuffix, true) })
        {
            if (fileId.StartsWith("file-", StringComparison.Ordinal) && fileId.EndsWith(suffix, StringComparison.Ordinal) && fileId.Length > 5 + suffix.Length)
            {
                return (fileId[5..^suffix.Length], errors);
            }
        }

        return null;
    }

    [GeneratedRegex("^file-[A-Za-z0-9_.-]{1,200}$")]
    private static partial Regex FileId();
}
