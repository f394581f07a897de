namespace Fanout.Core.Models;

/// <summary>An error object: <c>{"code": "…", "message": "…"}</c>.</summary>
public sealed record ApiError(string Code, string Message);
