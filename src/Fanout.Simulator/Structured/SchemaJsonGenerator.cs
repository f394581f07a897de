using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Fanout.Simulator.Structured;

/// <summary>
/// Writes JSON that is valid against a JSON Schema (the subset structured outputs use): <c>type</c> (one or a list),
/// <c>properties</c> with <c>required</c> (every listed property is written, so <c>additionalProperties: false</c>
/// holds), <c>items</c>/<c>prefixItems</c> with <c>minItems</c>/<c>maxItems</c>, <c>enum</c>, <c>const</c>, numbers
/// within <c>minimum</c>/<c>maximum</c>/<c>exclusive*</c>/<c>multipleOf</c>, strings within
/// <c>minLength</c>/<c>maxLength</c> and common <c>format</c>s, <c>$ref</c> into <c>$defs</c>/<c>definitions</c>
/// (recursion bounded), <c>anyOf</c>/<c>oneOf</c> (the first branch) and <c>allOf</c> (merged). <c>pattern</c> is
/// not honoured.
/// </summary>
internal sealed class SchemaJsonGenerator(JsonElement root, Random random)
{
    /// <summary>Deeper than this, arrays are written empty when allowed and objects with their required properties only.</summary>
    private const int MaxDepth = 8;

    /// <summary>JSON valid against <paramref name="schema"/>.</summary>
    public static string Generate(JsonElement schema, Random random)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            new SchemaJsonGenerator(schema, random).Write(writer, schema, 0);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private void Write(Utf8JsonWriter w, JsonElement schema, int depth)
    {
        schema = Resolve(schema);
        if (schema.ValueKind == JsonValueKind.True || schema.ValueKind != JsonValueKind.Object)
        {
            w.WriteStringValue("sim");
            return;
        }

        if (schema.TryGetProperty("const", out var constant))
        {
            constant.WriteTo(w);
            return;
        }

        if (schema.TryGetProperty("enum", out var values) && values.ValueKind == JsonValueKind.Array && values.GetArrayLength() > 0)
        {
            values[random.Next(values.GetArrayLength())].WriteTo(w);
            return;
        }

        foreach (var key in (ReadOnlySpan<string>)["anyOf", "oneOf"])
        {
            if (schema.TryGetProperty(key, out var branches) && branches.ValueKind == JsonValueKind.Array && branches.GetArrayLength() > 0)
            {
                Write(w, branches[0], depth + 1);
                return;
            }
        }

        var parts = Parts(schema);
        switch (TypeOf(parts))
        {
            case "object":
                WriteObject(w, parts, depth);
                break;
            case "array":
                WriteArray(w, parts, depth);
                break;
            case "integer":
                WriteNumber(w, parts, integer: true);
                break;
            case "number":
                WriteNumber(w, parts, integer: false);
                break;
            case "boolean":
                w.WriteBooleanValue(random.Next(2) == 0);
                break;
            case "null":
                w.WriteNullValue();
                break;
            default:
                WriteString(w, parts);
                break;
        }
    }

    /// <summary>The schema and, for <c>allOf</c>, its (resolved) members: their keywords count together.</summary>
    private List<JsonElement> Parts(JsonElement schema)
    {
        var parts = new List<JsonElement> { schema };
        if (schema.TryGetProperty("allOf", out var all) && all.ValueKind == JsonValueKind.Array)
        {
            foreach (var member in all.EnumerateArray())
            {
                var resolved = Resolve(member);
                if (resolved.ValueKind == JsonValueKind.Object)
                {
                    parts.Add(resolved);
                }
            }
        }

        return parts;
    }

    private static string TypeOf(List<JsonElement> parts)
    {
        foreach (var part in parts)
        {
            if (!part.TryGetProperty("type", out var type))
            {
                continue;
            }

            if (type.ValueKind == JsonValueKind.String)
            {
                return type.GetString()!;
            }

            if (type.ValueKind == JsonValueKind.Array)
            {
                string? first = null;
                foreach (var t in type.EnumerateArray())
                {
                    first ??= t.GetString();
                    if (t.GetString() is { } name && name != "null")
                    {
                        return name;
                    }
                }

                return first ?? "string";
            }
        }

        foreach (var part in parts)
        {
            if (part.TryGetProperty("properties", out _) || part.TryGetProperty("required", out _))
            {
                return "object";
            }

            if (part.TryGetProperty("items", out _) || part.TryGetProperty("prefixItems", out _))
            {
                return "array";
            }
        }

        return "string";
    }

    private void WriteObject(Utf8JsonWriter w, List<JsonElement> parts, int depth)
    {
        var required = new HashSet<string>(StringComparer.Ordinal);
        foreach (var part in parts)
        {
            if (part.TryGetProperty("required", out var names) && names.ValueKind == JsonValueKind.Array)
            {
                foreach (var name in names.EnumerateArray())
                {
                    required.Add(name.GetString()!);
                }
            }
        }

        var written = new HashSet<string>(StringComparer.Ordinal);
        w.WriteStartObject();
        foreach (var part in parts)
        {
            if (!part.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            foreach (var property in properties.EnumerateObject())
            {
                if ((depth >= MaxDepth && !required.Contains(property.Name)) || !written.Add(property.Name))
                {
                    continue;
                }

                w.WritePropertyName(property.Name);
                Write(w, property.Value, depth + 1);
            }
        }

        foreach (var name in required)
        {
            if (written.Add(name))
            {
                // Required but not described: any value does.
                w.WriteString(name, "sim");
            }
        }

        w.WriteEndObject();
    }

    private void WriteArray(Utf8JsonWriter w, List<JsonElement> parts, int depth)
    {
        int min = 0, max = int.MaxValue;
        JsonElement items = default, prefix = default;
        foreach (var part in parts)
        {
            min = Math.Max(min, Int(part, "minItems") ?? 0);
            max = Math.Min(max, Int(part, "maxItems") ?? int.MaxValue);
            if (part.TryGetProperty("items", out var i))
            {
                items = i;
            }

            if (part.TryGetProperty("prefixItems", out var p) && p.ValueKind == JsonValueKind.Array)
            {
                prefix = p;
            }
        }

        var prefixCount = prefix.ValueKind == JsonValueKind.Array ? prefix.GetArrayLength() : 0;
        var count = depth >= MaxDepth ? min : Math.Min(Math.Max(min, Math.Max(prefixCount, 2)), max);
        if (items.ValueKind == JsonValueKind.False)
        {
            count = Math.Min(count, prefixCount);
        }

        w.WriteStartArray();
        for (var index = 0; index < count; index++)
        {
            Write(w, index < prefixCount ? prefix[index] : items.ValueKind == JsonValueKind.Undefined ? default : items, depth + 1);
        }

        w.WriteEndArray();
    }

    private void WriteNumber(Utf8JsonWriter w, List<JsonElement> parts, bool integer)
    {
        double low = integer ? 0 : 0.5, high = integer ? 100 : 100.5;
        double? floor = null, ceiling = null, step = null;
        foreach (var part in parts)
        {
            if (Number(part, "minimum") is { } min)
            {
                floor = Math.Max(floor ?? double.MinValue, min);
            }

            if (Number(part, "exclusiveMinimum") is { } xmin)
            {
                floor = Math.Max(floor ?? double.MinValue, integer ? Math.Floor(xmin) + 1 : xmin + (Math.Abs(xmin) * 1e-9) + 1e-6);
            }

            if (Number(part, "maximum") is { } max)
            {
                ceiling = Math.Min(ceiling ?? double.MaxValue, max);
            }

            if (Number(part, "exclusiveMaximum") is { } xmax)
            {
                ceiling = Math.Min(ceiling ?? double.MaxValue, integer ? Math.Ceiling(xmax) - 1 : xmax - (Math.Abs(xmax) * 1e-9) - 1e-6);
            }

            step = Number(part, "multipleOf") ?? step;
        }

        low = floor ?? (ceiling is { } c0 ? Math.Min(low, c0) : low);
        high = ceiling ?? Math.Max(high, low + 100);
        if (integer)
        {
            low = Math.Ceiling(low);
            high = Math.Floor(high);
        }

        var value = low + (random.NextDouble() * Math.Max(0, high - low));
        if (step is > 0 and var s)
        {
            // A multiple of the step inside the bounds (the lowest one when rounding pushed it out).
            var k = Math.Round(value / s);
            value = k * s;
            if (value < low || value > high)
            {
                value = Math.Ceiling(low / s) * s;
            }
        }

        if (integer)
        {
            w.WriteNumberValue((long)Math.Round(Math.Clamp(value, low, high)));
        }
        else
        {
            var rounded = Math.Round(value, 3);
            w.WriteNumberValue(step is null && rounded >= low && rounded <= high ? rounded : value);
        }
    }

    private void WriteString(Utf8JsonWriter w, List<JsonElement> parts)
    {
        int min = 0, max = int.MaxValue;
        string? format = null;
        foreach (var part in parts)
        {
            min = Math.Max(min, Int(part, "minLength") ?? 0);
            max = Math.Min(max, Int(part, "maxLength") ?? int.MaxValue);
            format ??= part.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
        }

        var text = format switch
        {
            "date-time" => "2026-01-01T12:00:00Z",
            "date" => "2026-01-01",
            "time" => "12:00:00Z",
            "email" => "sim@example.com",
            "uri" or "url" => "https://example.com/sim",
            "uuid" => "00000000-0000-4000-8000-" + random.Next(0, int.MaxValue).ToString("x12", CultureInfo.InvariantCulture),
            _ => "sim-" + random.Next(0, 1 << 20).ToString("x5", CultureInfo.InvariantCulture),
        };
        if (text.Length < min)
        {
            text = text.PadRight(min, 'x');
        }

        if (text.Length > max)
        {
            text = text[..max];
        }

        w.WriteStringValue(text);
    }

    /// <summary>Follows <c>$ref</c>s that point into this document (<c>#</c>, <c>#/$defs/…</c>, any JSON pointer).</summary>
    private JsonElement Resolve(JsonElement schema)
    {
        for (var hops = 0; hops < 32 && schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("$ref", out var reference)
            && reference.GetString() is { } target && target.StartsWith('#'); hops++)
        {
            var node = root;
            foreach (var raw in target[1..].Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                var token = Uri.UnescapeDataString(raw).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
                if (node.ValueKind == JsonValueKind.Object && node.TryGetProperty(token, out var next))
                {
                    node = next;
                }
                else if (node.ValueKind == JsonValueKind.Array && int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < node.GetArrayLength())
                {
                    node = node[i];
                }
                else
                {
                    return default;
                }
            }

            schema = node;
        }

        return schema;
    }

    private static int? Int(JsonElement schema, string name)
        => schema.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? n : null;

    private static double? Number(JsonElement schema, string name)
        => schema.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;
}
