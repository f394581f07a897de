using System.Text;
using System.Text.Json;
using Fanout.Simulator.Structured;

namespace Fanout.Simulator.Apis;

/// <summary>
/// Reads a Responses API body (<c>POST …/responses</c>) into the simulator's request: the prompt is the
/// <c>instructions</c> and the <c>input</c> (a string, or the text of its items' content) joined with <c>"\n"</c>.
/// </summary>
internal static class ResponsesRequest
{
    /// <summary>Reads a request body; <paramref name="error"/> says what is wrong when it is not a responses request.</summary>
    public static bool TryParse(JsonElement root, out ChatRequest? request, out string? error)
    {
        request = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "The request body must be a JSON object.";
            return false;
        }

        if (!root.TryGetProperty("input"u8, out var input) || input.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
        {
            error = "'input' is required: a string or an array of items.";
            return false;
        }

        var builder = new StringBuilder();
        string? instructions = null;
        if (root.TryGetProperty("instructions"u8, out var i) && i.ValueKind == JsonValueKind.String)
        {
            instructions = i.GetString();
            builder.Append(instructions).Append('\n');
        }

        if (input.ValueKind == JsonValueKind.String)
        {
            builder.Append(input.GetString());
        }
        else
        {
            AppendItems(builder, input);
        }

        int? maxTokens = null;
        if (!ChatRequest.TryReadMaxTokens(root, "max_output_tokens"u8, ref maxTokens, out error))
        {
            return false;
        }

        string? model = root.TryGetProperty("model"u8, out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        JsonElement? text = root.TryGetProperty("text"u8, out var t) && t.ValueKind == JsonValueKind.Object ? t.Clone() : null;
        var format = text is { } tx && tx.TryGetProperty("format"u8, out var f) ? RequestedFormat.Read(f, nested: false) : null;
        request = new ChatRequest(builder.ToString(), string.IsNullOrEmpty(model) ? null : model, maxTokens, Stream: false, IncludeUsage: false, format,
            new ResponsesEcho(instructions, maxTokens, text));
        return true;
    }

    private static void AppendItems(StringBuilder builder, JsonElement items)
    {
        var first = true;
        foreach (var item in items.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("content"u8, out var content))
            {
                continue;
            }

            if (!first)
            {
                builder.Append('\n');
            }

            first = false;
            if (content.ValueKind == JsonValueKind.String)
            {
                builder.Append(content.GetString());
            }
            else if (content.ValueKind == JsonValueKind.Array)
            {
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text"u8, out var text) && text.ValueKind == JsonValueKind.String)
                    {
                        builder.Append(text.GetString());
                    }
                }
            }
        }
    }
}
