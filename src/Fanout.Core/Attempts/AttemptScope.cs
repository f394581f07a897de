namespace Fanout.Core.Attempts;

/// <summary>
/// The batch whose model call runs in this async flow: <see cref="AttemptCountingPolicy"/> counts each attempt it sees
/// into the batch's <see cref="AttemptLedger"/>. Outside a scope (estimates, tests of the invoker) attempts are only
/// measured, not counted for a batch.
/// </summary>
public sealed class AttemptScope : IDisposable
{
    private static readonly AsyncLocal<AttemptScope?> CurrentScope = new();
    private readonly AttemptScope? _outer;

    internal AttemptScope(AttemptLedger.BatchAttempts batch)
    {
        Batch = batch;
        _outer = CurrentScope.Value;
        CurrentScope.Value = this;
    }

    /// <summary>The scope of the call running in this async flow, if any.</summary>
    public static AttemptScope? Current => CurrentScope.Value;

    internal AttemptLedger.BatchAttempts Batch { get; }

    /// <summary>Makes what this batch's attempts came to so far durable (the outcome of the last one).</summary>
    public Task FlushAsync() => Batch.FlushAsync();

    /// <inheritdoc />
    public void Dispose() => CurrentScope.Value = _outer;
}
