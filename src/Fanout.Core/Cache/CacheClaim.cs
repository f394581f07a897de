using Azure;

namespace Fanout.Core.Cache;

/// <summary>A claim on a request: this copy calls the model, the others wait (the blob <c>claims/{key}</c> and its ETag).</summary>
/// <param name="Key">The request's key.</param>
/// <param name="ETag">The claim blob's ETag as this owner last wrote it; a changed ETag means it was taken over.</param>
public sealed record CacheClaim(string Key, ETag ETag);
