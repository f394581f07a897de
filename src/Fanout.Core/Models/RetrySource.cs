namespace Fanout.Core.Models;

/// <summary>What a retry batch (<c>POST /api/batches/{id}/retry</c>) merges its answers into.</summary>
/// <param name="Of">The batch whose failed lines this batch runs again.</param>
/// <param name="BaseBlob">The output to merge into (in the output container): <c>{Of}/output.jsonl</c>, or <c>{Of}/merged.jsonl</c> when <c>Of</c> is itself a retry.</param>
public sealed record RetrySource(string Of, string BaseBlob);
