using System.Text;
using System.Text.Json;

namespace Fanout.Simulator.Apis;

/// <summary>The parts of a chat-completions (or Responses API) request body the simulator looks at.</summary>
/// <param name="Prompt">The messages' text (see <see cref="SimulatorResponder"/>).</param>
/// <param name="Model">The body's <c>model</c>.</param>
/// <param name="MaxTokens"><c>max_completion_tokens</c>, else <c>max_tokens</c> (<c>max_output_tokens</c> for responses).</param>
/// <param name="Stream">Answer as server-sent events.</param>
/// <param name="IncludeUsage">A streamed answer ends with a usage chunk.</param>
/// <param name="Format">The answer's requested format (<c>response_format</c> / <c>text.format</c>), when it asks for JSON.</param>
/// <param name="Echo">Responses API fields echoed in the answer (<c>instructions</c>, <c>text</c>, …); null for chat.</param>
internal sealed record ChatRequest(string Prompt, string? Model, int? MaxTokens, bool Stream, bool IncludeUsage, Structured.RequestedFormat? Format = null, Structured.ResponsesEcho? Echo = null)
{
    /// <summary>Reads a request body; <paramref name="error"/> says what is wrong when it is not a chat-completions request.</summary>
    public static bool TryParse(JsonElement root, out ChatRequest? request, out string? error)
    {
        request = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "The request body must be a JSON object.";
            return false;
        }

        if (!root.TryGetProperty("messages"u8, out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            error = "'messages' is a required array.";
            return false;
        }

        if (!TryBuildPrompt(messages, out var prompt, out error))
        {
            return false;
        }

        string? model = null;
        if (root.TryGetProperty("model"u8, out var m) && m.ValueKind == JsonValueKind.String)
        {
            model = m.GetString();
        }

        int? maxTokens = null;
        if (!TryReadMaxTokens(root, "max_completion_tokens"u8, ref maxTokens, out error)
            || (maxTokens is null && !TryReadMaxTokens(root, "max_tokens"u8, ref maxTokens, out error)))
        {
            return false;
        }

        var stream = root.TryGetProperty("stream"u8, out var s) && s.ValueKind == JsonValueKind.True;
        var includeUsage = root.TryGetProperty("stream_options"u8, out var so) && so.ValueKind == JsonValueKind.Object
            && so.TryGetProperty("include_usage"u8, out var iu) && iu.ValueKind == JsonValueKind.True;
        var format = root.TryGetProperty("response_format"u8, out var rf) ? Structured.RequestedFormat.Read(rf, nested: true) : null;
        request = new ChatRequest(prompt, string.IsNullOrEmpty(model) ? null : model, maxTokens, stream, includeUsage, format);
        error = null;
        return true;
    }

    internal static bool TryReadMaxTokens(JsonElement root, ReadOnlySpan<byte> name, ref int? maxTokens, out string? error)
    {
        error = null;
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var n) || n < 0)
        {
            error = $"'{Encoding.UTF8.GetString(name)}' must be a non-negative integer.";
            return false;
        }

        maxTokens = n;
        return true;
    }

    private static bool TryBuildPrompt(JsonElement messages, out string prompt, out string? error)
    {
        prompt = "";
        error = null;
        var count = messages.GetArrayLength();
        if (count == 0)
        {
            error = "'messages' must not be empty.";
            return false;
        }

        // The common case, one message with string content, needs no builder.
        if (count == 1 && messages[0] is { ValueKind: JsonValueKind.Object } only
            && only.TryGetProperty("content"u8, out var single) && single.ValueKind == JsonValueKind.String)
        {
            prompt = single.GetString()!;
            return true;
        }

        var builder = new StringBuilder();
        var first = true;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object)
            {
                error = "Each message must be an object.";
                return false;
            }

            if (!first)
            {
                builder.Append('\n');
            }

            first = false;
            if (!message.TryGetProperty("content"u8, out var content))
            {
                continue;
            }

            switch (content.ValueKind)
            {
                case JsonValueKind.String:
                    builder.Append(content.GetString());
                    break;
                case JsonValueKind.Array:
                    foreach (var part in content.EnumerateArray())
                    {
                        if (part.ValueKind == JsonValueKind.Object
                            && part.TryGetProperty("type"u8, out var type) && type.ValueEquals("text"u8)
                            && part.TryGetProperty("text"u8, out var text) && text.ValueKind == JsonValueKind.String)
                        {
                            builder.Append(text.GetString());
                        }
                    }

                    break;
                case JsonValueKind.Null:
                    break;
                default:
                    error = "A message's 'content' must be a string, an array of parts or null.";
                    return false;
            }
        }

        prompt = builder.ToString();
        return true;
    }
}
