namespace Fanout.Core.Models;

/// <summary>Where a batch's raw JSONL input lives (blob drop).</summary>
public sealed record BatchSource(string Container, string BlobName);
