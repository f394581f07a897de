using System.Text.Json;

namespace Fanout.Simulator.Structured;

/// <summary>A request's ask for JSON: <c>json_object</c>, or <c>json_schema</c> with its schema (a copy that outlives the request's document).</summary>
/// <param name="Schema">The schema; null for <c>json_object</c>.</param>
internal sealed record RequestedFormat(JsonElement? Schema)
{
    /// <summary>
    /// Reads a chat <c>response_format</c> (<paramref name="nested"/>: the schema sits in <c>json_schema.schema</c>) or a
    /// responses <c>text.format</c> (the schema sits on the format); null for <c>text</c> or anything else.
    /// </summary>
    public static RequestedFormat? Read(JsonElement format, bool nested)
    {
        if (format.ValueKind != JsonValueKind.Object || !format.TryGetProperty("type"u8, out var type))
        {
            return null;
        }

        if (type.ValueEquals("json_object"u8))
        {
            return new RequestedFormat((JsonElement?)null);
        }

        if (!type.ValueEquals("json_schema"u8))
        {
            return null;
        }

        var holder = nested ? (format.TryGetProperty("json_schema"u8, out var js) ? js : default) : format;
        return holder.ValueKind == JsonValueKind.Object && holder.TryGetProperty("schema"u8, out var schema)
            ? new RequestedFormat(schema.Clone())
            : new RequestedFormat(JsonDocument.Parse("true").RootElement.Clone());
    }
}
