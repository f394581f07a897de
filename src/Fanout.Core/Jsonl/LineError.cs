namespace Fanout.Core.Jsonl;

/// <summary>Why an input line was rejected; <see cref="Code"/> is one of <see cref="LineErrorCodes"/>.</summary>
/// <param name="Code">A stable machine-readable code from <see cref="LineErrorCodes"/>.</param>
/// <param name="Message">A human-readable explanation that never echoes large parts of the line.</param>
public sealed record LineError(string Code, string Message);
