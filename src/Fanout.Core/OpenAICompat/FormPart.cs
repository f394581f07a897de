namespace Fanout.Core.OpenAICompat;

/// <summary>One part of a <c>multipart/form-data</c> body: its field name, its file name (for a file field) and its bytes, read as they arrive.</summary>
/// <param name="Name">The field name (<c>purpose</c>, <c>file</c>).</param>
/// <param name="FileName">The file name the client sent, if any.</param>
/// <param name="Body">The part's bytes; read to its end or left, the next part follows.</param>
public sealed record FormPart(string Name, string? FileName, Stream Body);
