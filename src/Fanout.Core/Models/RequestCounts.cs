namespace Fanout.Core.Models;

/// <summary>Line counts of a batch; <c>Cached</c>: completed lines answered from the response cache or a twin line.</summary>
public sealed record RequestCounts(int Total, int Completed, int Failed, int Cached = 0);
