namespace Fanout.Core.OpenAICompat;

/// <summary>
/// A <c>multipart/form-data</c> upload as a transport hands it over: the raw <paramref name="Body"/> and the transport's
/// reader of its parts. The service wraps the body in its size limit before it hands it to <paramref name="ReadParts"/>,
/// which may throw <see cref="IOException"/> or <see cref="InvalidDataException"/> for a malformed body.
/// </summary>
/// <param name="Body">The request body.</param>
/// <param name="ReadParts">Reads the parts of a body, one at a time, as the caller enumerates them.</param>
public sealed record FormUpload(Stream Body, Func<Stream, CancellationToken, IAsyncEnumerable<FormPart>> ReadParts);
