namespace Fanout.Core.Models;

/// <summary>Output of a batch orchestration; <c>BudgetExceeded</c>: the token budget was used up, so unsent lines end <c>budget_exceeded</c>.</summary>
public sealed record BatchResult(string Status, int Total, BatchCounts Counts, long CompletedAt, string? ErrorCode = null, string? ErrorMessage = null, bool BudgetExceeded = false);
