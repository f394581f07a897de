using Fanout.Core.Models;

namespace Fanout.Core.Watching;

/// <summary>One status read of a <see cref="BatchStatusFeed"/>: its number, the batch object, or that the batch is gone (purged).</summary>
public sealed record BatchStatusSnapshot(long Version, BatchObject? Batch, bool Purged);
