using System.Collections.Concurrent;
using Fanout.Core.Models;
using Fanout.Core.Storage;

namespace Fanout.Core.Attempts;

/// <summary>
/// The one count of the HTTP attempts this process makes to model endpoints, per batch and per pool member: every
/// figure the batch object reports about calls, 429s and failures (<c>progress.rate_limited</c>,
/// <c>usage_by_deployment</c>) is the sum of these journals over every process of the task hub.
/// <para>Write-ahead: an attempt is counted in storage <em>before</em> it is sent (group commit: the attempts of a batch
/// that start while a record is being written share the next one), so a crash never loses a call the service may have
/// seen; its outcome (429, failure kind, tokens) goes into the next record, at the latest when the line's activity
/// ends. Each process writes its own append blobs (<c>{id}/attempts/{writer}-{n}.jsonl</c>) holding running totals, so
/// readers only need the last record of each.</para>
/// </summary>
/// <param name="store">Where the journals are written.</param>
/// <param name="pool">The pool members, whose tier and model each member's counts carry (for the batch's cost by tier).</param>
public sealed class AttemptLedger(BatchStore store, Microsoft.Extensions.Options.IOptions<Llm.Pool.PoolOptions>? pool = null)
{
    private readonly Dictionary<string, (string Tier, string Model)> _members = (pool?.Value.Members ?? [])
        .GroupBy(m => m.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => (g.First().Tier, g.First().Model), StringComparer.Ordinal);

    /// <summary>Records per journal before the next one is started (an append blob holds at most 50,000 blocks).</summary>
    public const int MaxRecordsPerJournal = 40_000;

    /// <summary>Batches kept in memory before idle ones are forgotten (their journals stay; a later attempt starts a new one).</summary>
    private const int MaxBatches = 256;

    private static readonly TimeSpan IdleAfter = TimeSpan.FromMinutes(5);
    private readonly string _writer = Guid.NewGuid().ToString("N")[..12];
    private readonly ConcurrentDictionary<string, BatchAttempts> _batches = new(StringComparer.Ordinal);
    private int _journals;

    /// <summary>Starts counting the attempts of the call that runs in this async flow for <paramref name="batchId"/>.</summary>
    public AttemptScope Begin(string batchId)
    {
        ArgumentNullException.ThrowIfNull(batchId);
        if (_batches.Count > MaxBatches)
        {
            var idle = DateTimeOffset.UtcNow - IdleAfter;
            foreach (var (id, batch) in _batches)
            {
                if (batch.IdleSince(idle))
                {
                    _batches.TryRemove(id, out _);
                }
            }
        }

        return new AttemptScope(_batches.GetOrAdd(batchId, id => new BatchAttempts(this, id)));
    }

    private string NextJournal(string batchId) => $"{BatchBlobLayout.AttemptsPrefix(batchId)}{_writer}-{Interlocked.Increment(ref _journals):D5}.jsonl";

    /// <summary>One batch's running totals in this process and the group commit of its journal.</summary>
    internal sealed class BatchAttempts
    {
        private readonly Lock _lock = new();
        private readonly AttemptLedger _ledger;
        private readonly string _batchId;
        private readonly Dictionary<string, DeploymentUsage> _totals = new(StringComparer.Ordinal);
        private Dictionary<string, DeploymentUsage> _base = new(StringComparer.Ordinal);
        private string _journal;
        private bool _created;
        private int _records;
        private long _version;
        private long _written;
        private TaskCompletionSource? _inFlight;
        private long _inFlightVersion;
        private TaskCompletionSource? _queued;
        private DateTimeOffset _touched = DateTimeOffset.UtcNow;

        public BatchAttempts(AttemptLedger ledger, string batchId)
        {
            _ledger = ledger;
            _batchId = batchId;
            _journal = ledger.NextJournal(batchId);
        }

        public bool IdleSince(DateTimeOffset time)
        {
            lock (_lock)
            {
                return _touched < time && _inFlight is null && _written == _version;
            }
        }

        /// <summary>Counts an attempt about to be sent to <paramref name="member"/>; completes once that is durable.</summary>
        public Task StartingAsync(string member)
        {
            Apply(member, new DeploymentUsage(Calls: 1));
            return FlushAsync();
        }

        /// <summary>
        /// Counts the outcome of an attempt and starts writing it without waiting: an SDK retry may wait seconds for its
        /// Retry-After, and a crash meanwhile must not lose the 429 that asked for it.
        /// </summary>
        public void Ended(string member, AttemptKind kind, int promptTokens, int completionTokens)
        {
            var failed = kind is not (AttemptKind.Succeeded or AttemptKind.RateLimited);
            Apply(member, new DeploymentUsage(
                0, promptTokens, completionTokens, kind == AttemptKind.RateLimited ? 1 : 0, failed ? 1 : 0,
                Lines: kind == AttemptKind.Succeeded ? 1 : 0, FailuresByKind: FailureKinds.Of(kind)));
            _ = FlushAsync().ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        public Task FlushAsync()
        {
            lock (_lock)
            {
                if (_written == _version)
                {
                    return Task.CompletedTask;
                }

                if (_inFlight is not null)
                {
                    return _inFlightVersion >= _version ? _inFlight.Task : (_queued ??= NewCompletion()).Task;
                }

                return StartLocked(NewCompletion()).Task;
            }
        }

        private static TaskCompletionSource NewCompletion() => new(TaskCreationOptions.RunContinuationsAsynchronously);

        private void Apply(string member, DeploymentUsage usage)
        {
            lock (_lock)
            {
                if (!_totals.TryGetValue(member, out var had))
                {
                    // A member's tier and model travel with its counts: the batch's cost by tier is read from them.
                    had = _ledger._members.TryGetValue(member, out var m) ? new DeploymentUsage(Tier: m.Tier, Model: m.Model) : new DeploymentUsage();
                }

                _totals[member] = had.Add(usage);
                _version++;
                _touched = DateTimeOffset.UtcNow;
            }
        }

        private TaskCompletionSource StartLocked(TaskCompletionSource done)
        {
            _inFlight = done;
            _inFlightVersion = _version;
            var record = AttemptJournal.Record(Minus(_totals, _base));
            var journal = _journal;
            var create = !_created;
            var roll = ++_records >= MaxRecordsPerJournal;
            Dictionary<string, DeploymentUsage>? rollBase = roll ? new(_totals, StringComparer.Ordinal) : null;
            _ = WriteAsync(journal, record, create, done, _inFlightVersion, rollBase);
            return done;
        }

        private async Task WriteAsync(string journal, byte[] record, bool create, TaskCompletionSource done, long version, Dictionary<string, DeploymentUsage>? rollBase)
        {
            Exception? error = null;
            try
            {
                await _ledger.AppendAsync(journal, record, create).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                error = e;
            }

            TaskCompletionSource? next = null;
            lock (_lock)
            {
                if (error is null)
                {
                    _created = true;
                    _written = Math.Max(_written, version);
                    if (rollBase is not null)
                    {
                        // This journal is full: the next one counts from here.
                        _base = rollBase;
                        _journal = _ledger.NextJournal(_batchId);
                        _created = false;
                        _records = 0;
                    }
                }

                _inFlight = null;
                if (_queued is not null && (error is not null || _written < _version))
                {
                    next = _queued;
                    _queued = null;
                    StartLocked(next);
                }
                else if (_queued is not null)
                {
                    next = _queued;
                    _queued = null;
                    next.TrySetResult();
                }
            }

            if (error is null)
            {
                done.TrySetResult();
            }
            else
            {
                done.TrySetException(error);
            }
        }

        private static Dictionary<string, DeploymentUsage> Minus(Dictionary<string, DeploymentUsage> totals, Dictionary<string, DeploymentUsage> @base)
        {
            var diff = new Dictionary<string, DeploymentUsage>(totals.Count, StringComparer.Ordinal);
            foreach (var (member, t) in totals)
            {
                if (!@base.TryGetValue(member, out var b))
                {
                    diff[member] = t;
                    continue;
                }

                var tk = t.FailuresByKind ?? FailureKinds.None;
                var bk = b.FailuresByKind ?? FailureKinds.None;
                diff[member] = new DeploymentUsage(
                    t.Calls - b.Calls, t.PromptTokens - b.PromptTokens, t.CompletionTokens - b.CompletionTokens, t.RateLimited - b.RateLimited, t.Failures - b.Failures,
                    t.Tier, t.Model, t.Lines - b.Lines,
                    new FailureKinds(tk.Http4xx - bk.Http4xx, tk.Http5xx - bk.Http5xx, tk.Timeout - bk.Timeout, tk.Connection - bk.Connection));
            }

            return diff;
        }
    }

    private Task AppendAsync(string journal, byte[] record, bool create) => store.AppendAttemptRecordAsync(journal, record, create, CancellationToken.None);
}
