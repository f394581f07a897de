using System.Globalization;

namespace Fanout.Core.Jsonl;

/// <summary>The batch as a whole is over a limit (too many lines or too many bytes); the caller answers 413 with <see cref="Exception.Message"/>.</summary>
public sealed class BatchLimitExceededException : Exception
{
    /// <summary>Code for a batch with more than <see cref="JsonlReaderOptions.MaxLines"/> lines.</summary>
    public const string TooManyLinesCode = "too_many_lines";

    /// <summary>Code for a batch with more than <see cref="JsonlReaderOptions.MaxTotalBytes"/> bytes.</summary>
    public const string BatchTooLargeCode = "batch_too_large";

    /// <summary>Creates the exception for limit <paramref name="code"/> whose value is <paramref name="limit"/>.</summary>
    public BatchLimitExceededException(string code, long limit, string message)
        : base(message)
    {
        Code = code;
        Limit = limit;
    }

    /// <summary><see cref="TooManyLinesCode"/> or <see cref="BatchTooLargeCode"/>.</summary>
    public string Code { get; }

    /// <summary>The limit that was exceeded (lines or bytes).</summary>
    public long Limit { get; }

    internal static BatchLimitExceededException TooManyLines(long limit) =>
        new(TooManyLinesCode, limit, string.Create(CultureInfo.InvariantCulture, $"the batch has more than {limit} lines"));

    internal static BatchLimitExceededException TooLarge(long limit) =>
        new(BatchTooLargeCode, limit, string.Create(CultureInfo.InvariantCulture, $"the body is larger than {limit} bytes"));
}
