namespace Fanout.Http;

/// <summary>The API's own headers.</summary>
public static class FanoutHeaders
{
    /// <summary>Request header that makes a submit (or retry) idempotent.</summary>
    public const string IdempotencyKey = "Idempotency-Key";

    /// <summary>Response header of <c>results?partial=true</c>: whether the body is the whole output.</summary>
    public const string Complete = "Fanout-Complete";
}
