namespace Fanout.Core.Models;

/// <summary>Input of the result check that runs before finalize.</summary>
public sealed record ResultCheckInput(string BatchId, PreparedBatch Prepared);
