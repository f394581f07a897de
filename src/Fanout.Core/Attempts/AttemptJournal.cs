using System.Text.Json;
using Fanout.Core.Models;
using Fanout.Core.Service;

namespace Fanout.Core.Attempts;

/// <summary>
/// The record format of an attempt journal: one JSON line per append, <c>{"member": {usage…}, …}</c>, each holding the
/// journal's running totals (so its last line is all it says). A record is written before an attempt is sent (its
/// <c>calls</c> already count it), and after the attempt ends with its outcome.
/// </summary>
public static class AttemptJournal
{
    /// <summary>One record: <paramref name="totals"/> as a JSON line.</summary>
    public static byte[] Record(IReadOnlyDictionary<string, DeploymentUsage> totals)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(totals, ServiceJson.Options);
        var line = new byte[json.Length + 1];
        json.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        return line;
    }

    /// <summary>The last whole record of a journal (or of its tail); null when it has none.</summary>
    public static IReadOnlyDictionary<string, DeploymentUsage>? LastRecord(ReadOnlySpan<byte> journal)
    {
        var end = journal.Length;
        while (end > 0 && journal[end - 1] is (byte)'\n' or (byte)'\r')
        {
            end--;
        }

        if (end == 0)
        {
            return null;
        }

        var start = journal[..end].LastIndexOf((byte)'\n') + 1;
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, DeploymentUsage>>(journal[start..end], ServiceJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
