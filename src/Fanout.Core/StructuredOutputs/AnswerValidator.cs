using System.Collections.Concurrent;
using System.Text.Json;
using Json.Schema;

namespace Fanout.Core.StructuredOutputs;

/// <summary>
/// Checks an answer's text against its <see cref="AnswerFormat"/> with JsonSchema.Net (JSON Schema draft 2020-12, the
/// dialect OpenAI's structured outputs use). A violation is described by its first error: the instance's JSON pointer,
/// the keyword (rule) and the library's message, e.g. <c>/age: maximum: 300 should be at most 150</c>.
/// </summary>
public static class AnswerValidator
{
    /// <summary>Most compiled schemas kept (a batch's lines usually share one).</summary>
    private const int MaxCachedSchemas = 256;

    private static readonly ConcurrentDictionary<string, JsonSchema> Schemas = new(StringComparer.Ordinal);

    private static readonly EvaluationOptions Options = new() { OutputFormat = OutputFormat.List };

    /// <summary>Null when <paramref name="text"/> satisfies <paramref name="format"/>; otherwise the first violation.</summary>
    public static string? Check(AnswerFormat format, string? text)
    {
        ArgumentNullException.ThrowIfNull(format);
        if (string.IsNullOrEmpty(text))
        {
            return "/: type: the answer is empty, not JSON";
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            return $"/: json: the answer is not valid JSON ({Jsonl.JsonText.Reason(e)})";
        }

        using (document)
        {
            var root = document.RootElement;
            if (format.Schema is null)
            {
                return root.ValueKind == JsonValueKind.Object ? null : $"/: type: the answer is {Describe(root.ValueKind)}, not a JSON object";
            }

            JsonSchema schema;
            try
            {
                schema = Compile(format.Schema);
            }
            catch (Exception e) when (e is JsonSchemaException or JsonException or ArgumentException or InvalidOperationException)
            {
                return $"/: schema: the requested schema cannot be used ({e.Message})";
            }

            EvaluationResults results;
            try
            {
                results = schema.Evaluate(root, Options);
            }
            catch (Exception e) when (e is JsonSchemaException or InvalidOperationException or ArgumentException)
            {
                return $"/: schema: the requested schema cannot be evaluated ({e.Message})";
            }

            return results.IsValid ? null : FirstViolation(results);
        }
    }

    private static JsonSchema Compile(string schemaText)
    {
        if (Schemas.TryGetValue(schemaText, out var cached))
        {
            return cached;
        }

        using var schemaDoc = JsonDocument.Parse(schemaText);

        // Its own registry per schema: lines' schemas never see each other (no shared $id space).
        var schema = JsonSchema.Build(schemaDoc.RootElement.Clone(), new BuildOptions(), null);
        if (Schemas.Count >= MaxCachedSchemas)
        {
            Schemas.Clear();
        }

        Schemas[schemaText] = schema;
        return schema;
    }

    private static string FirstViolation(EvaluationResults results)
    {
        foreach (var node in Flatten(results))
        {
            if (node.Errors is { Count: > 0 } errors)
            {
                var (keyword, message) = errors.First();
                var pointer = node.InstanceLocation.ToString();
                if (string.IsNullOrEmpty(keyword))
                {
                    // A false subschema (additionalProperties: false, …) names no keyword: the schema path's last step does.
                    var path = node.EvaluationPath.ToString();
                    keyword = path.Length > 0 ? path[(path.LastIndexOf('/') + 1)..] : "false";
                }

                return $"{(pointer.Length == 0 ? "/" : pointer)}: {keyword}: {message}";
            }
        }

        return "/: schema: the answer does not match the schema";
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    private static IEnumerable<EvaluationResults> Flatten(EvaluationResults results)
    {
        yield return results;
        foreach (var detail in results.Details ?? [])
        {
            foreach (var inner in Flatten(detail))
            {
                yield return inner;
            }
        }
    }
}
