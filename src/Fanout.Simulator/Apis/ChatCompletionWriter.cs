using System.Buffers;
using System.IO.Pipelines;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Fanout.Simulator.Apis;

/// <summary>Writes the OpenAI wire format with a per-thread buffer and writer, so an answer allocates next to nothing.</summary>
internal static class ChatCompletionWriter
{
    private const int MaxRetainedBuffer = 64 * 1024;

    private static readonly JsonWriterOptions s_writerOptions = new()
    {
        // The body is JSON for API clients, never HTML: keep non-ASCII as UTF-8 like the real service.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>A chat.completion document.</summary>
    public static void WriteCompletion(PipeWriter pipe, HttpResponse response, in Completion c)
    {
        var (writer, buffer) = Rent();
        writer.WriteStartObject();
        WriteHead(writer, c, "chat.completion");
        writer.WriteStartArray("choices"u8);
        writer.WriteStartObject();
        writer.WriteNumber("index"u8, 0);
        writer.WriteStartObject("message"u8);
        writer.WriteString("role"u8, "assistant"u8);
        if (c.Refusal is { } refusal)
        {
            writer.WriteNull("content"u8);
            writer.WriteString("refusal"u8, refusal);
        }
        else
        {
            writer.WriteString("content"u8, c.Content);
            writer.WriteNull("refusal"u8);
        }

        writer.WriteEndObject();
        writer.WriteNull("logprobs"u8);
        writer.WriteString("finish_reason"u8, "stop"u8);
        writer.WriteEndObject();
        writer.WriteEndArray();
        WriteUsage(writer, c);
        writer.WriteEndObject();
        writer.Flush();
        response.ContentLength = buffer.WrittenCount;
        Copy(pipe, buffer, prefix: default, suffix: default);
    }

    /// <summary>
    /// One server-sent event with a chat.completion.chunk: the first carries the role, a content chunk the text, the last
    /// the finish reason, the usage chunk (no choices) the token counts.
    /// </summary>
    public static void WriteChunk(PipeWriter pipe, in Completion c, ChunkKind kind, ReadOnlySpan<char> text = default)
    {
        var (writer, buffer) = Rent();
        writer.WriteStartObject();
        WriteHead(writer, c, "chat.completion.chunk");
        writer.WriteStartArray("choices"u8);
        if (kind != ChunkKind.Usage)
        {
            writer.WriteStartObject();
            writer.WriteNumber("index"u8, 0);
            writer.WriteStartObject("delta"u8);
            if (kind == ChunkKind.Role)
            {
                writer.WriteString("role"u8, "assistant"u8);
                writer.WriteString("content"u8, ""u8);
            }
            else if (kind == ChunkKind.Content)
            {
                writer.WriteString("content"u8, text);
            }

            writer.WriteEndObject();
            writer.WriteNull("logprobs"u8);
            if (kind == ChunkKind.Finish)
            {
                writer.WriteString("finish_reason"u8, "stop"u8);
            }
            else
            {
                writer.WriteNull("finish_reason"u8);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        if (kind == ChunkKind.Usage)
        {
            WriteUsage(writer, c);
        }
        else if (c.IncludeUsage)
        {
            writer.WriteNull("usage"u8);
        }

        writer.WriteEndObject();
        writer.Flush();
        Copy(pipe, buffer, "data: "u8, "\n\n"u8);
    }

    /// <summary>The end of a stream.</summary>
    public static void WriteDone(PipeWriter pipe) => pipe.Write("data: [DONE]\n\n"u8);

    /// <summary>An error document <c>{"error":{"code","message"}}</c>.</summary>
    public static void WriteError(PipeWriter pipe, HttpResponse response, string code, string message)
    {
        var (writer, buffer) = Rent();
        writer.WriteStartObject();
        writer.WriteStartObject("error"u8);
        writer.WriteString("code"u8, code);
        writer.WriteString("message"u8, message);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.Flush();
        response.ContentLength = buffer.WrittenCount;
        Copy(pipe, buffer, default, default);
    }

    private static void WriteHead(Utf8JsonWriter writer, in Completion c, string kind)
    {
        writer.WriteString("id"u8, c.Id);
        writer.WriteString("object"u8, kind);
        writer.WriteNumber("created"u8, c.Created);
        writer.WriteString("model"u8, c.Model);
        writer.WriteString("system_fingerprint"u8, "fp_fanout_sim"u8);
    }

    private static void WriteUsage(Utf8JsonWriter writer, in Completion c)
    {
        writer.WriteStartObject("usage"u8);
        writer.WriteNumber("prompt_tokens"u8, c.PromptTokens);
        writer.WriteNumber("completion_tokens"u8, c.CompletionTokens);
        writer.WriteNumber("total_tokens"u8, c.PromptTokens + c.CompletionTokens);
        writer.WriteEndObject();
    }

    private static (Utf8JsonWriter Writer, ArrayBufferWriter<byte> Buffer) Rent()
    {
        var buffer = t_buffer;
        if (buffer is null || buffer.Capacity > MaxRetainedBuffer)
        {
            t_buffer = buffer = new ArrayBufferWriter<byte>(1024);
        }
        else
        {
            buffer.ResetWrittenCount();
        }

        var writer = t_writer;
        if (writer is null)
        {
            t_writer = writer = new Utf8JsonWriter(buffer, s_writerOptions);
        }
        else
        {
            writer.Reset(buffer);
        }

        return (writer, buffer);
    }

    // Copies synchronously, so the per-thread buffer is free again before the caller awaits the flush.
    private static void Copy(PipeWriter pipe, ArrayBufferWriter<byte> buffer, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> suffix)
    {
        var length = prefix.Length + buffer.WrittenCount + suffix.Length;
        var span = pipe.GetSpan(length);
        prefix.CopyTo(span);
        buffer.WrittenSpan.CopyTo(span[prefix.Length..]);
        suffix.CopyTo(span[(prefix.Length + buffer.WrittenCount)..]);
        pipe.Advance(length);
    }
}

/// <summary>Which chunk of a stream to write.</summary>
internal enum ChunkKind
{
    Role,
    Content,
    Finish,
    Usage,
}

/// <summary>Everything an answer says; <paramref name="Refusal"/> set = the model refused (<paramref name="Content"/> is then empty).</summary>
internal readonly record struct Completion(
    string Id, long Created, string Model, string Content, int PromptTokens, int CompletionTokens, bool IncludeUsage, string? Refusal = null);
