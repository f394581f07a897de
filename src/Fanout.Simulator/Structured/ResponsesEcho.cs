using System.Text.Json;

namespace Fanout.Simulator.Structured;

/// <summary>The request fields a Responses API answer repeats, as the real service does.</summary>
/// <param name="Instructions">The request's <c>instructions</c>, or null.</param>
/// <param name="MaxOutputTokens">The request's <c>max_output_tokens</c>, or null.</param>
/// <param name="Text">The request's <c>text</c> object (its format), or null for the default <c>{"format": {"type": "text"}}</c>.</param>
internal sealed record ResponsesEcho(string? Instructions, int? MaxOutputTokens, JsonElement? Text);
