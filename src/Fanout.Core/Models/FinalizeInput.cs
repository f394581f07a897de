namespace Fanout.Core.Models;

/// <summary>Input of the finalize activity.</summary>
public sealed record FinalizeInput(BatchInput Batch, PreparedBatch Prepared, BatchResult Result);
