namespace Fanout.Core.Storage;

/// <summary>
/// Where a batch's blobs live. Work container: <c>{id}/chunks/{k}.jsonl</c> (+ <c>.idx</c>, see
/// <see cref="LineIndexFormat"/>) hold the prepared input; <c>{id}/results/{k}/{guid}.seg</c> are segments of index-tagged
/// result lines (<see cref="ResultSegmentWriter"/>) of chunk <c>k</c>, and <c>{id}/results/{k}/{m}-{guid}.seg</c> segments
/// holding lines of chunks <c>k</c> to <c>m</c> (a group commit spans the chunks that run at once). Output container: <c>{id}/output.jsonl</c>, <c>{id}/errors.jsonl</c>
/// and <c>{id}/batch.json</c>.
/// </summary>
public static class BatchBlobLayout
{
    /// <summary>The ordered results of a batch, one line per input line.</summary>
    public const string OutputFile = "output.jsonl";

    /// <summary>The error lines of a batch, in input order.</summary>
    public const string ErrorsFile = "errors.jsonl";

    /// <summary>The batch object as it was when the batch finished.</summary>
    public const string BatchFile = "batch.json";

    /// <summary>A file of a batch in the output container: <c>{id}/{file}</c>.</summary>
    public static string OutputBlob(string batchId, string file) => $"{batchId}/{file}";

    /// <summary>Prepared chunk <paramref name="chunk"/> of a batch (work container).</summary>
    public static string ChunkBlob(string batchId, int chunk) => $"{batchId}/chunks/{chunk:D6}.jsonl";

    /// <summary>The line index of prepared chunk <paramref name="chunk"/> (work container).</summary>
    public static string IndexBlob(string batchId, int chunk) => $"{batchId}/chunks/{chunk:D6}.idx";

    /// <summary>The folder of the result segments of chunk <paramref name="chunk"/> (work container).</summary>
    public static string ResultPrefix(string batchId, int chunk) => $"{batchId}/results/{chunk:D6}/";

    /// <summary>The folder of every result segment of a batch (work container).</summary>
    public static string ResultsPrefix(string batchId) => $"{batchId}/results/";

    /// <summary>
    /// The name of a new result segment holding lines of chunks <paramref name="first"/> to <paramref name="last"/>:
    /// filed under its first chunk, with its last one in the file name when it spans several.
    /// </summary>
    public static string ResultSegmentBlob(string batchId, int first, int last, Guid id)
        => last > first ? $"{ResultPrefix(batchId, first)}{last:D6}-{id:N}.seg" : $"{ResultPrefix(batchId, first)}{id:N}.seg";

    /// <summary>
    /// The chunks a result segment's name says it holds lines of (<see cref="ResultSegmentBlob"/>): its folder's chunk,
    /// up to the chunk before a <c>-</c> in its file name; false for any other name.
    /// </summary>
    public static bool TryParseResultChunks(string batchId, string name, out int first, out int last)
    {
        last = -1;
        if (!TryParseResultChunk(batchId, name, out first))
        {
            return false;
        }

        var file = name.AsSpan(name.LastIndexOf('/') + 1);
        var dash = file.IndexOf('-');
        last = dash == 6 && int.TryParse(file[..dash], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var to) && to >= first
            ? to
            : first;
        return true;
    }

    /// <summary>The chunk of a result segment's name (<c>{id}/results/{chunk:D6}/…</c>); false for any other name.</summary>
    public static bool TryParseResultChunk(string batchId, string name, out int chunk)
    {
        chunk = -1;
        var prefix = ResultsPrefix(batchId);
        if (!name.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = name.AsSpan(prefix.Length);
        var slash = rest.IndexOf('/');
        return slash > 0 && int.TryParse(rest[..slash], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out chunk);
    }

    /// <summary>Every work blob of a batch starts with this.</summary>
    public static string WorkPrefix(string batchId) => batchId + "/";

    /// <summary>The prefix of a batch's attempt journals in the work container (one append blob per process and run of it).</summary>
    public static string AttemptsPrefix(string batchId) => $"{batchId}/attempts/";
}
