using System.Text.Encodings.Web;
using System.Text.Json;

namespace Fanout.Simulator.Batches;

/// <summary>
/// The simulator's Batch API routes, under <c>/openai</c> (Azure, with any <c>api-version</c>), <c>/openai/v1</c> and
/// <c>/v1</c>: files (upload, list, get, content, delete) and batches (create, list, get, cancel), with OpenAI's object
/// shapes and Azure's errors.
/// </summary>
internal static class SimulatorBatchApi
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Map(RouteGroupBuilder group, SimulatorBatchStore store)
    {
        foreach (var prefix in new[] { "/openai", "/openai/v1", "/v1" })
        {
            group.MapPost(prefix + "/files", context => UploadAsync(context, store));
            group.MapGet(prefix + "/files", context => WriteAsync(context, 200, w => WriteList(w, store.Files(), f => WriteFile(w, f))));
            group.MapGet(prefix + "/files/{id}", context => store.File(Id(context)) is { } f ? WriteAsync(context, 200, w => WriteFile(w, f)) : NotFound(context, "file"));
            group.MapGet(prefix + "/files/{id}/content", context => ContentAsync(context, store));
            group.MapDelete(prefix + "/files/{id}", context => store.Delete(Id(context))
                ? WriteAsync(context, 200, w => { w.WriteStartObject(); w.WriteString("id", Id(context)); w.WriteString("object", "file"); w.WriteBoolean("deleted", true); w.WriteEndObject(); })
                : NotFound(context, "file"));
            group.MapPost(prefix + "/batches", context => CreateAsync(context, store));
            group.MapGet(prefix + "/batches", context => WriteAsync(context, 200, w => WriteList(w, store.Batches(), b => WriteBatch(w, store, b))));
            group.MapGet(prefix + "/batches/{id}", context => store.Batch(Id(context)) is { } b ? WriteAsync(context, 200, w => WriteBatch(w, store, b)) : NotFound(context, "batch"));
            group.MapPost(prefix + "/batches/{id}/cancel", context => store.Cancel(Id(context)) is { } b
                ? WriteAsync(context, 200, w => WriteBatch(w, store, b, cancelling: b.CancelledAt is not null && b.Files is null))
                : NotFound(context, "batch"));
        }
    }

    private static string Id(HttpContext context) => (string)context.Request.RouteValues["id"]!;

    private static async Task UploadAsync(HttpContext context, SimulatorBatchStore store)
    {
        if (!context.Request.HasFormContentType)
        {
            await ErrorAsync(context, 400, "invalidPayload", "The upload must be multipart/form-data with 'purpose' and 'file'.");
            return;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (form.Files.GetFile("file") is not { } part || form["purpose"] != "batch")
        {
            await ErrorAsync(context, 400, "invalidPayload", "The upload needs purpose=batch and a file.");
            return;
        }

        using var content = new MemoryStream();
        await part.CopyToAsync(content, context.RequestAborted);
        var file = store.Upload(part.FileName, "batch", content.ToArray());
        await WriteAsync(context, 200, w => WriteFile(w, file));
    }

    private static async Task ContentAsync(HttpContext context, SimulatorBatchStore store)
    {
        if (store.File(Id(context)) is not { } file)
        {
            await NotFound(context, "file");
            return;
        }

        context.Response.ContentType = "application/octet-stream";
        await context.Response.Body.WriteAsync(file.Content, context.RequestAborted);
    }

    private static async Task CreateAsync(HttpContext context, SimulatorBatchStore store)
    {
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
        }
        catch (JsonException e)
        {
            await ErrorAsync(context, 400, "invalidPayload", "The body is not JSON: " + e.Message);
            return;
        }

        using (doc)
        {
            var root = doc.RootElement;
            var fileId = root.TryGetProperty("input_file_id", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString()! : "";
            if (store.File(fileId) is not { } input)
            {
                await ErrorAsync(context, 404, "invalidPayload", $"The input file '{fileId}' does not exist.");
                return;
            }

            var endpoint = root.TryGetProperty("endpoint", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString()! : "/chat/completions";
            var window = root.TryGetProperty("completion_window", out var cw) && cw.ValueKind == JsonValueKind.String ? cw.GetString()! : "24h";
            Dictionary<string, string>? metadata = null;
            if (root.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object)
            {
                metadata = m.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ToString(), StringComparer.Ordinal);
            }

            var batch = store.Create(input, endpoint, window, metadata);
            await WriteAsync(context, 200, w => WriteBatch(w, store, batch));
        }
    }

    private static void WriteFile(Utf8JsonWriter w, SimulatorFile file)
    {
        w.WriteStartObject();
        w.WriteString("id", file.Id);
        w.WriteString("object", "file");
        w.WriteNumber("bytes", file.Content.Length);
        w.WriteNumber("created_at", file.CreatedAt);
        w.WriteString("filename", file.Name);
        w.WriteString("purpose", file.Purpose);
        w.WriteString("status", "processed");
        w.WriteEndObject();
    }

    private static void WriteBatch(Utf8JsonWriter w, SimulatorBatchStore store, SimulatorBatch batch, bool cancelling = false)
    {
        var now = store.Now;
        var status = batch.StatusAt(now);
        var (output, errors) = store.FilesOf(batch, now);
        var finished = batch.FinishedAt(now).ToList();
        long? At(DateTimeOffset? t) => t?.ToUnixTimeSeconds();
        w.WriteStartObject();
        w.WriteString("id", batch.Id);
        w.WriteString("object", "batch");
        w.WriteString("endpoint", batch.Endpoint);
        if (batch.Failure is { } failure)
        {
            w.WriteStartObject("errors");
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            w.WriteStartObject();
            w.WriteString("code", failure.Code);
            w.WriteString("message", failure.Message);
            w.WriteNull("line");
            w.WriteNull("param");
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("errors");
        }

        w.WriteString("input_file_id", batch.InputFileId);
        w.WriteString("completion_window", batch.CompletionWindow);
        w.WriteString("status", cancelling ? "cancelling" : status);
        WriteNullable(w, "output_file_id", output);
        WriteNullable(w, "error_file_id", errors);
        w.WriteNumber("created_at", batch.CreatedAt.ToUnixTimeSeconds());
        WriteNullable(w, "in_progress_at", batch.Failure is null ? At(batch.CreatedAt) : null);
        w.WriteNumber("expires_at", batch.CreatedAt.ToUnixTimeSeconds() + (24 * 3600));
        WriteNullable(w, "finalizing_at", status == "completed" ? At(batch.EndsAt) : null);
        WriteNullable(w, "completed_at", status == "completed" ? At(batch.EndsAt) : null);
        WriteNullable(w, "failed_at", status == "failed" ? At(batch.CreatedAt) : null);
        w.WriteNull("expired_at");
        WriteNullable(w, "cancelling_at", At(batch.CancelledAt));
        WriteNullable(w, "cancelled_at", status == "cancelled" ? At(batch.CancelledAt) : null);
        w.WriteStartObject("request_counts");
        w.WriteNumber("total", batch.Lines.Count);
        w.WriteNumber("completed", finished.Count(l => !l.Fails));
        w.WriteNumber("failed", finished.Count(l => l.Fails));
        w.WriteEndObject();
        if (batch.Metadata is null)
        {
            w.WriteNull("metadata");
        }
        else
        {
            w.WriteStartObject("metadata");
            foreach (var (key, value) in batch.Metadata)
            {
                w.WriteString(key, value);
            }

            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
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

    private static void WriteNullable(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void WriteList<T>(Utf8JsonWriter w, IReadOnlyList<T> items, Action<T> write)
    {
        w.WriteStartObject();
        w.WriteString("object", "list");
        w.WriteStartArray("data");
        foreach (var item in items)
        {
            write(item);
        }

        w.WriteEndArray();
        w.WriteBoolean("has_more", false);
        w.WriteEndObject();
    }

    private static Task NotFound(HttpContext context, string what)
        => ErrorAsync(context, 404, "404", $"The {what} '{Id(context)}' does not exist.");

    /// <summary>Azure's error shape: <c>{"error": {"code", "message"}}</c>.</summary>
    private static Task ErrorAsync(HttpContext context, int status, string code, string message)
        => WriteAsync(context, status, w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("error");
            w.WriteString("code", code);
            w.WriteString("message", message);
            w.WriteEndObject();
            w.WriteEndObject();
        });

    private static async Task WriteAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer);
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = buffer.Length;
        await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted);
    }
}
