using System.Text.Json;
using Fanout.Simulator.Options;

namespace Fanout.Simulator.Structured;

/// <summary>
/// The answer to a request that asks for JSON (<see cref="RequestedFormat"/>): a refusal for a share
/// <see cref="SimulatorOptions.RefusalRate"/>, JSON that is not valid for a share <see cref="SimulatorOptions.InvalidOutputRate"/>
/// (cut short, of the wrong type, or an object missing a required property), else JSON valid against the schema.
/// Each answer is drawn anew, so asking again can succeed.
/// </summary>
internal static class StructuredAnswer
{
    /// <summary>What a refusal says.</summary>
    public const string RefusalText = "I'm sorry, I can't help with that. (simulated refusal)";

    /// <summary>The answer's text, or its refusal.</summary>
    public static (string? Content, string? Refusal) For(RequestedFormat format, SimulatorOptions options, Random random)
    {
        var roll = random.NextDouble();
        if (roll < options.RefusalRate)
        {
            return (null, RefusalText);
        }

        var schema = format.Schema;
        var valid = schema is { } s ? SchemaJsonGenerator.Generate(s, random) : "{\"answer\": \"sim\"}";
        if (roll >= options.RefusalRate + options.InvalidOutputRate)
        {
            return (valid, null);
        }

        return (Invalid(valid, schema, random.Next(3)), null);
    }

    private static string Invalid(string valid, JsonElement? schema, int kind)
    {
        if (kind == 2 && schema is { ValueKind: JsonValueKind.Object } s && s.TryGetProperty("required", out var required)
            && required.ValueKind == JsonValueKind.Array && required.GetArrayLength() > 0 && valid.StartsWith('{'))
        {
            // An object without its first required property.
            var node = System.Text.Json.Nodes.JsonNode.Parse(valid)!.AsObject();
            node.Remove(required[0].GetString()!);
            return node.ToJsonString();
        }

        if (kind == 1)
        {
            // Valid JSON of the wrong type: an array where an object is asked for, else an object.
            return valid.StartsWith('{') ? "[\"sim: not what was asked\"]" : "{\"sim\": \"not what was asked\"}";
        }

        // Cut short, as an answer that ran out of tokens.
        return valid.Length > 1 ? valid[..(valid.Length / 2)] : "{";
    }
}
