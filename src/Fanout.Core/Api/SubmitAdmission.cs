using Fanout.Core.Options;
using Fanout.Core.Service;
using Microsoft.Extensions.Options;

namespace Fanout.Core.Api;

/// <summary>
/// Lets at most <c>Fanout:Submit:MaxConcurrent</c> submits store and schedule at once. A submit that cannot start
/// within <c>Fanout:Submit:QueueSeconds</c> gets 503 with <c>Retry-After</c> before anything was stored: the store is
/// overloaded, and no batch exists for that answer.
/// </summary>
public sealed class SubmitAdmission(IOptions<SubmitOptions> options) : IDisposable
{
    private readonly SemaphoreSlim slots = new(options.Value.MaxConcurrent, options.Value.MaxConcurrent);

    /// <summary>A turn to submit (dispose it when the submit has answered), or the 503 to answer.</summary>
    public async Task<ServiceResult<IDisposable>> EnterAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        return await slots.WaitAsync(TimeSpan.FromSeconds(o.QueueSeconds), cancellationToken).ConfigureAwait(false)
            ? new Turn(slots)
            : Busy($"{o.MaxConcurrent} submits are being stored and none finished within {o.QueueSeconds} s");
    }

    /// <summary>
    /// The 503 of an overloaded store, saying <paramref name="reason"/>: no batch was created; or, with
    /// <paramref name="maybeCreated"/>, the batch that storage could not say whether it holds, named.
    /// </summary>
    public ServiceError Busy(string reason, string? maybeCreated = null) => new(
        ErrorKind.Unavailable,
        "server_busy",
        maybeCreated is null
            ? $"The server is busy ({reason}); no batch was created. Send the same request again after the Retry-After delay (with an Idempotency-Key, a retry never creates a second batch)."
            : $"The server is busy ({reason}); batch {maybeCreated} may have been created: GET /api/batches/{maybeCreated} tells. Send the request again with an Idempotency-Key to be sure of one batch.",
        TimeSpan.FromSeconds(options.Value.RetryAfterSeconds));

    /// <summary>The 503 of a batch whose scheduling failed (naming it when it may exist after all).</summary>
    public ServiceError NotStarted(BatchNotStartedException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return Busy("storage did not answer", e.Exists is null ? e.BatchId : null);
    }

    /// <inheritdoc />
    public void Dispose() => slots.Dispose();

    private sealed class Turn(SemaphoreSlim slots) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}
