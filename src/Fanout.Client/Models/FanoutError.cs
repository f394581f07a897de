using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fanout.Client.Models;

/// <summary>An error object (<c>{"code","message"}</c>): of a failed batch, of a failed line, of a refused call.</summary>
/// <param name="Code">The contract's error code.</param>
/// <param name="Message">What went wrong, in words.</param>
public sealed record FanoutError(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message)
{
    /// <summary>The error as the API writes it.</summary>
    public override string ToString() => JsonSerializer.Serialize(this);
}
