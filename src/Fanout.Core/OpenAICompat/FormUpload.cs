namespace Fanout.Core.OpenAICompat;

/// <summary>One part of a <c>multipart/form-data</c> body: its field name, its file name (for a file field) and its bytes, read as they arrive.</summary>
/// <param name="Name">The field name (<c>purpose</c>, <c>file</c>).</param>
/// <param name="FileName">The file name the client sent, if any.</param>
/// <param name="Body">The part's bytes; read to its end or left, the next part follows.</param>
public sealed record FormPart(string Name, string? FileName, Stream Body);

/// <summary>
/// A <c>multipart/form-data</c> upload as a transport hands it over: the raw <paramref name="Body"/> and the transport's
/// reader of its parts. The service wraps the body in its size limit before it hands it to <paramref name="ReadParts"/>,
/// which may throw <see cref="IOException"/> or <see cref="InvalidDataException"/> for a malformed body.
/// </summary>
/// <param name="Body">The request body.</param>
/// <param name="ReadParts">Reads the parts of a body, one at a time, as the caller enumerates them.</param>
public sealed record FormUpload(Stream Body, Func<Stream, CancellationToken, IAsyncEnumerable<FormPart>> ReadParts);
