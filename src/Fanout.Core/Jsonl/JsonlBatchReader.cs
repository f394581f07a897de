using System.Runtime.CompilerServices;

namespace Fanout.Core.Jsonl;

/// <summary>Reads an OpenAI Batch API input (JSON Lines) as a stream of validated <see cref="BatchLine"/>s.</summary>
public static class JsonlBatchReader
{
    private static readonly JsonlReaderOptions DefaultOptions = new();

    /// <summary>
    /// Streams lines from <paramref name="input"/> without holding the whole stream in memory (only one line at a
    /// time, plus the set of seen custom_ids). Lines split on <c>\n</c>; a trailing <c>\r</c> and a leading UTF-8 BOM
    /// are dropped. Blank lines at the end of the input are ignored; a blank line anywhere else becomes an
    /// <c>invalid_json_line</c> error line rather than being skipped, so every later line keeps its index and the
    /// output stays aligned with the input file line for line. Throws <see cref="BatchLimitExceededException"/> when the
    /// input exceeds <see cref="JsonlReaderOptions.MaxLines"/> or <see cref="JsonlReaderOptions.MaxTotalBytes"/>;
    /// empty input yields nothing. Each yielded line owns its <see cref="BatchLine.Body"/>. The stream is not disposed.
    /// </summary>
    public static IAsyncEnumerable<BatchLine> ReadAsync(Stream input, JsonlReaderOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        options ??= DefaultOptions;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxLineBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.MaxLineBytes, Array.MaxLength - 2);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxLines);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxTotalBytes);
        return ReadCoreAsync(input, options.MaxLineBytes, options.MaxLines, options.MaxTotalBytes, options.Endpoint, cancellationToken);
    }

    private static async IAsyncEnumerable<BatchLine> ReadCoreAsync(
        Stream input, int maxLineBytes, int maxLines, long maxTotalBytes, string? endpoint, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var splitter = new JsonlLineSplitter(input, maxLineBytes, maxTotalBytes);
        var validator = new BatchLineValidator(maxLineBytes, endpoint);
        var index = 0;

        // Blank lines are held back as a count until a non-blank line shows they are not trailing.
        var pendingBlanks = 0L;
        while (true)
        {
            var kind = await splitter.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (kind == JsonlLineKind.End)
            {
                yield break;
            }

            if (kind == JsonlLineKind.Blank)
            {
                pendingBlanks++;
                continue;
            }

            for (; pendingBlanks > 0; pendingBlanks--)
            {
                EnsureBelowMaxLines(index, maxLines);
                yield return BatchLineValidator.Blank(index++);
            }

            EnsureBelowMaxLines(index, maxLines);
            var line = kind == JsonlLineKind.TooLarge ? validator.TooLarge(index) : validator.Validate(index, splitter.Current);
            index++;
            yield return line;
        }
    }

    private static void EnsureBelowMaxLines(int index, int maxLines)
    {
        if (index >= maxLines)
        {
            throw BatchLimitExceededException.TooManyLines(maxLines);
        }
    }
}
