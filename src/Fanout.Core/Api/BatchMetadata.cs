using System.Text.Json;

namespace Fanout.Core.Api;

/// <summary>The <c>metadata</c> of a submit (native prompts form or OpenAI batch create): string values, bounded.</summary>
public static class BatchMetadata
{
    /// <summary>
    /// Reads <c>metadata</c> from <paramref name="root"/>: null when absent; an error message naming the problem when
    /// it is not an object of at most 16 string values (keys up to 64 characters, values up to 512).
    /// </summary>
    public static string? Read(JsonElement root, out Dictionary<string, string>? metadata)
    {
        metadata = null;
        if (!root.TryGetProperty("metadata", out var md) || md.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (md.ValueKind != JsonValueKind.Object)
        {
            return "'metadata' must be an object of string values.";
        }

        var read = new Dictionary<string, string>();
        foreach (var p in md.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String || p.Name.Length > 64 || p.Value.GetString()!.Length > 512)
            {
                return $"'metadata.{p.Name}' must be a string (keys up to 64 characters, values up to 512).";
            }

            read[p.Name] = p.Value.GetString()!;
        }

        if (read.Count > 16)
        {
            return "'metadata' may have at most 16 keys.";
        }

        metadata = read;
        return null;
    }
}
