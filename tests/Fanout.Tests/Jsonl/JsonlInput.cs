using System.Text;
using Fanout.Core.Jsonl;
using Xunit;

namespace Fanout.Tests.Jsonl;

/// <summary>Builds input lines and runs the reader for the JSONL tests.</summary>
internal static class JsonlInput
{
    /// <summary>Stands for a valid line in tables of expected codes.</summary>
    public const string Ok = "ok";

    public const string DefaultBody = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"max_tokens":64}""";

    /// <summary>An input line from raw JSON fragments; a null fragment leaves the property out.</summary>
    public static string Line(
        string? id = "\"a\"",
        string? method = "\"POST\"",
        string? url = "\"/v1/chat/completions\"",
        string? body = DefaultBody)
    {
        var props = new List<string>();
        if (id is not null)
        {
            props.Add($"\"custom_id\":{id}");
        }

        if (method is not null)
        {
            props.Add($"\"method\":{method}");
        }

        if (url is not null)
        {
            props.Add($"\"url\":{url}");
        }

        if (body is not null)
        {
            props.Add($"\"body\":{body}");
        }

        return "{" + string.Join(",", props) + "}";
    }

    /// <summary>A valid line with custom_id <paramref name="id"/>.</summary>
    public static string Valid(string id) => Line(id: $"\"{id}\"");

    /// <summary>A valid line with custom_id <paramref name="id"/>, padded with spaces to exactly <paramref name="bytes"/> bytes.</summary>
    public static string ValidOfLength(string id, int bytes)
    {
        var line = Valid(id);
        return line[..^1] + new string(' ', bytes - Encoding.UTF8.GetByteCount(line)) + "}";
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public static async Task<List<BatchLine>> ReadAllAsync(Stream input, JsonlReaderOptions? options = null)
    {
        var lines = new List<BatchLine>();
        await foreach (var line in JsonlBatchReader.ReadAsync(input, options))
        {
            lines.Add(line);
        }

        return lines;
    }

    public static Task<List<BatchLine>> ReadAllAsync(byte[] input, JsonlReaderOptions? options = null) =>
        ReadAllAsync(new MemoryStream(input), options);

    public static Task<List<BatchLine>> ReadAllAsync(string input, JsonlReaderOptions? options = null) =>
        ReadAllAsync(Utf8(input), options);

    /// <summary>The code of each line, <see cref="Ok"/> for valid ones.</summary>
    public static string[] Codes(IEnumerable<BatchLine> lines) => lines.Select(l => l.Error?.Code ?? Ok).ToArray();

    /// <summary>Asserts indices are 0, 1, 2… and returns the codes.</summary>
    public static string[] CodesInOrder(IReadOnlyList<BatchLine> lines)
    {
        Assert.Equal(Enumerable.Range(0, lines.Count), lines.Select(l => l.Index));
        return Codes(lines);
    }
}
