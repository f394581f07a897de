using System.Buffers;
using System.IO.Pipelines;
using System.Text.Encodings.Web;
using System.Text.Json;
using Fanout.Simulator.Structured;

namespace Fanout.Simulator.Apis;

/// <summary>Writes a Responses API answer: a <c>response</c> object with one assistant message and its usage.</summary>
internal static class ResponsesWriter
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// The <c>response</c> object: <c>id</c> (<c>resp_</c> + the completion's hash), <c>status: completed</c>, <c>output</c>
    /// with one <c>message</c> item whose content is an <c>output_text</c> (or a <c>refusal</c>), the request's
    /// <c>instructions</c>, <c>max_output_tokens</c> and <c>text</c> echoed, and <c>usage {input_tokens, output_tokens, total_tokens}</c>.
    /// </summary>
    public static void WriteResponse(PipeWriter pipe, HttpResponse response, in Completion c, ResponsesEcho echo)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        var hash = c.Id["chatcmpl-".Length..];
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("id"u8, "resp_" + hash);
            w.WriteString("object"u8, "response"u8);
            w.WriteNumber("created_at"u8, c.Created);
            w.WriteString("status"u8, "completed"u8);
            w.WriteNull("error"u8);
            w.WriteNull("incomplete_details"u8);
            WriteStringOrNull(w, "instructions", echo.Instructions);
            if (echo.MaxOutputTokens is { } max)
            {
                w.WriteNumber("max_output_tokens"u8, max);
            }
            else
            {
                w.WriteNull("max_output_tokens"u8);
            }

            w.WriteString("model"u8, c.Model);
            w.WriteStartArray("output"u8);
            w.WriteStartObject();
            w.WriteString("type"u8, "message"u8);
            w.WriteString("id"u8, "msg_" + hash);
            w.WriteString("status"u8, "completed"u8);
            w.WriteString("role"u8, "assistant"u8);
            w.WriteStartArray("content"u8);
            w.WriteStartObject();
            if (c.Refusal is { } refusal)
            {
                w.WriteString("type"u8, "refusal"u8);
                w.WriteString("refusal"u8, refusal);
            }
            else
            {
                w.WriteString("type"u8, "output_text"u8);
                w.WriteString("text"u8, c.Content);
                w.WriteStartArray("annotations"u8);
                w.WriteEndArray();
            }

            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteBoolean("parallel_tool_calls"u8, true);
            w.WriteNull("previous_response_id"u8);
            w.WriteStartObject("reasoning"u8);
            w.WriteNull("effort"u8);
            w.WriteNull("summary"u8);
            w.WriteEndObject();
            w.WriteBoolean("store"u8, false);
            w.WriteNumber("temperature"u8, 1.0);
            w.WritePropertyName("text"u8);
            if (echo.Text is { } text)
            {
                text.WriteTo(w);
            }
            else
            {
                w.WriteStartObject();
                w.WriteStartObject("format"u8);
                w.WriteString("type"u8, "text"u8);
                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteString("tool_choice"u8, "auto"u8);
            w.WriteStartArray("tools"u8);
            w.WriteEndArray();
            w.WriteNumber("top_p"u8, 1.0);
            w.WriteString("truncation"u8, "disabled"u8);
            w.WriteStartObject("usage"u8);
            w.WriteNumber("input_tokens"u8, c.PromptTokens);
            w.WriteStartObject("input_tokens_details"u8);
            w.WriteNumber("cached_tokens"u8, 0);
            w.WriteEndObject();
            w.WriteNumber("output_tokens"u8, c.CompletionTokens);
            w.WriteStartObject("output_tokens_details"u8);
            w.WriteNumber("reasoning_tokens"u8, 0);
            w.WriteEndObject();
            w.WriteNumber("total_tokens"u8, c.PromptTokens + c.CompletionTokens);
            w.WriteEndObject();
            w.WriteNull("user"u8);
            w.WriteStartObject("metadata"u8);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        response.ContentLength = buffer.WrittenCount;
        pipe.Write(buffer.WrittenSpan);
    }

    private static void WriteStringOrNull(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }
}
