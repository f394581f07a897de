namespace Fanout.Core.Models;

/// <summary>Input of the prepare activity (blob drop, or an uploaded OpenAI file whose lines must match <c>Endpoint</c>).</summary>
public sealed record PrepareInput(string BatchId, BatchSource Source, int ChunkSize, string? Endpoint = null);
