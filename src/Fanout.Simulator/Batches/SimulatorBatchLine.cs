namespace Fanout.Simulator.Batches;

/// <summary>One line of a simulated upstream batch: its custom_id, its request body, when it finishes and whether it fails.</summary>
/// <param name="CustomId">The caller's id.</param>
/// <param name="Body">The request body (UTF-8 JSON).</param>
/// <param name="FinishesAt">When its answer is ready.</param>
/// <param name="Fails">It ends in the error file instead of the output file.</param>
/// <param name="Tokens">Its estimated tokens (prompt + output bound), held against the enqueued-token limit while unfinished.</param>
internal sealed record SimulatorBatchLine(string CustomId, byte[] Body, DateTimeOffset FinishesAt, bool Fails, long Tokens);
