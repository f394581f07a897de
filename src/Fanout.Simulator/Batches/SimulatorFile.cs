namespace Fanout.Simulator.Batches;

/// <summary>A file the simulator's Batch API holds: an uploaded input, or a batch's output or error file.</summary>
/// <param name="Id">Its id, <c>file-…</c>.</param>
/// <param name="Name">Its file name.</param>
/// <param name="Purpose"><c>batch</c> for uploads, <c>batch_output</c> for what a batch wrote.</param>
/// <param name="CreatedAt">Unix seconds.</param>
/// <param name="Content">Its bytes.</param>
internal sealed record SimulatorFile(string Id, string Name, string Purpose, long CreatedAt, byte[] Content);
