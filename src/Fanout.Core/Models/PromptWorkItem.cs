namespace Fanout.Core.Models;

/// <summary>Input of <c>PromptActivity</c>: which line to run; the activity reads the line itself.</summary>
/// <param name="BatchId">The batch.</param>
/// <param name="Index">The line.</param>
/// <param name="ChunkSize">Lines per prepared chunk (to find the line's chunk).</param>
/// <param name="Deployment">The batch's deployment (a line's own <c>model</c> wins).</param>
/// <param name="Attempt">Durable retries so far (timers after a throttle, a transient error or a failed activity).</param>
/// <param name="LastAttempt">The last durable retry: a transient model error now writes an error line.</param>
/// <param name="Failures">Times the activity itself failed through its retry policy (storage trouble, not the model).</param>
/// <param name="Cap">The batch's <c>maxConcurrency</c>: see <see cref="Activities.BatchCallGate"/>; 0 = not known (no gate).</param>
/// <param name="AllowStandard">False: the call may not go to standard (pay-as-you-go) pool members (<c>standardSpend=false</c>).</param>
/// <param name="Cache">The batch uses the response cache: see <see cref="Cache.ResponseCache"/>.</param>
public sealed record PromptWorkItem(string BatchId, int Index, int ChunkSize, string Deployment, int Attempt = 0, bool LastAttempt = false, int Failures = 0, int Cap = 0, bool AllowStandard = true, bool Cache = false);
