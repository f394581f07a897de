namespace Fanout.Simulator.Batches;

/// <summary>
/// One simulated upstream batch, as Azure Global Batch runs it: its lines finish one by one, in an order of their own,
/// evenly over the deployment's turnaround; a cancel keeps the lines finished by then. Its state is computed from the
/// clock when read, so nothing runs in the background.
/// </summary>
internal sealed class SimulatorBatch
{
    /// <summary>Creates a batch.</summary>
    public SimulatorBatch(string id, string deployment, string endpoint, string inputFileId, string completionWindow, DateTimeOffset createdAt, IReadOnlyList<SimulatorBatchLine> lines, IReadOnlyDictionary<string, string>? metadata)
    {
        Id = id;
        Deployment = deployment;
        Endpoint = endpoint;
        InputFileId = inputFileId;
        CompletionWindow = completionWindow;
        CreatedAt = createdAt;
        Lines = lines;
        Metadata = metadata;
    }

    public string Id { get; }

    public string Deployment { get; }

    public string Endpoint { get; }

    public string InputFileId { get; }

    public string CompletionWindow { get; }

    public DateTimeOffset CreatedAt { get; }

    /// <summary>The lines in the order they finish (not the input order).</summary>
    public IReadOnlyList<SimulatorBatchLine> Lines { get; }

    public IReadOnlyDictionary<string, string>? Metadata { get; }

    /// <summary>Set when the batch failed as a whole (validation, enqueued-token limit): Azure's error code and message.</summary>
    public (string Code, string Message)? Failure { get; init; }

    /// <summary>When a cancel arrived; null when none did.</summary>
    public DateTimeOffset? CancelledAt { get; set; }

    /// <summary>The output and error files, once the batch ended.</summary>
    public (string? Output, string? Errors)? Files { get; set; }

    /// <summary>When the last line finishes.</summary>
    public DateTimeOffset EndsAt => Lines.Count == 0 ? CreatedAt : Lines[^1].FinishesAt;

    /// <summary>The status at <paramref name="now"/>.</summary>
    public string StatusAt(DateTimeOffset now) => Failure is not null ? "failed"
        : CancelledAt is not null ? "cancelled"
        : now >= EndsAt ? "completed"
        : "in_progress";

    /// <summary>The lines finished at <paramref name="now"/> (by the cancel, for a cancelled batch).</summary>
    public IEnumerable<SimulatorBatchLine> FinishedAt(DateTimeOffset now)
    {
        var until = CancelledAt is { } cancelled && cancelled < now ? cancelled : now;
        return Failure is not null ? [] : Lines.Where(l => l.FinishesAt <= until);
    }

    /// <summary>Tokens of its lines not finished at <paramref name="now"/> (what it holds of the enqueued-token limit).</summary>
    public long EnqueuedTokensAt(DateTimeOffset now)
        => Failure is not null || CancelledAt is not null ? 0 : Lines.Where(l => l.FinishesAt > now).Sum(l => l.Tokens);
}
