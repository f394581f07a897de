using Fanout.Core.Service;

namespace Fanout.Core.Watching;

/// <summary>The results of a batch: the JSONL (or why a finished batch has none) and, for <c>partial=true</c>, whether it is the whole output.</summary>
/// <param name="Body">The JSONL, or the error of a finished batch without it (e.g. <c>output_not_found</c>), whose answer still carries <c>Fanout-Complete: true</c>.</param>
/// <param name="Complete">Null without <c>partial=true</c>; else whether the body is the whole output (<c>Fanout-Complete</c>).</param>
public sealed record BatchResults(ServiceResult<ContentBody> Body, bool? Complete);
