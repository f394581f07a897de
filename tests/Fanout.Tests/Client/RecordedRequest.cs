namespace Fanout.Tests.Client;

/// <summary>A request that <see cref="FanoutApiHandler"/> received.</summary>
/// <param name="Method">The HTTP method.</param>
/// <param name="PathAndQuery">The path with its query string.</param>
/// <param name="ContentType">The body's media type, if any.</param>
/// <param name="Body">The body's bytes.</param>
internal sealed record RecordedRequest(HttpMethod Method, string PathAndQuery, string? ContentType, byte[] Body);
