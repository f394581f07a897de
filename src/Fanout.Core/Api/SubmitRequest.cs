using Fanout.Core.Service;

namespace Fanout.Core.Api;

/// <summary>A submit as the transport hands it over.</summary>
/// <param name="Body">The body, read once.</param>
/// <param name="Format">How the body is written.</param>
/// <param name="ContentLength">The announced length, when there is one (checked against the limit before reading).</param>
/// <param name="Query">The query parameters (<see cref="SubmitQuery"/>).</param>
/// <param name="IdempotencyKey">The Idempotency-Key, or null.</param>
public sealed record SubmitRequest(Stream Body, SubmitFormat Format, long? ContentLength, QueryArgs Query, string? IdempotencyKey);
