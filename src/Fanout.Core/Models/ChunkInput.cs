using Fanout.Core.Options;

namespace Fanout.Core.Models;

/// <summary>
/// Input of one chunk sub-orchestration: a contiguous range of lines with its own window (its share of the cap).
/// <c>Cap</c> is the batch's whole <c>maxConcurrency</c>, passed on to each call for the activity's per-process gate
/// (<see cref="Activities.BatchCallGate"/>); 0 in inputs saved before it was sent along. <c>AllowStandard</c> false: its
/// calls may not go to standard (pay-as-you-go) pool members (<c>standardSpend=false</c>). <c>Cache</c>: the batch's
/// <c>cache</c> setting, passed on to each call (<see cref="Cache.ResponseCache"/>). <c>SkipAnswered</c>: the Batch API
/// answered some lines already; only the lines without a stored result run (<see cref="Upstream.MissingLinesActivity"/>).
/// </summary>
public sealed record ChunkInput(string BatchId, string Deployment, int ChunkSize, int Chunk, int Start, int Count, int Window, int MaxDurableRetries = OpenAIOptions.DefaultMaxDurableRetries, long? TokenBudget = null, int Cap = 0, bool AllowStandard = true, bool Cache = false, bool SkipAnswered = false);
