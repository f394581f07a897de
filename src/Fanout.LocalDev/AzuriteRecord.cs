using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fanout.LocalDev;

/// <summary>
/// Which Azurite serves a data folder: written to <c>fanout-azurite.json</c> in the folder, read and changed only while
/// holding <c>fanout-azurite.lock</c>, so that one folder has one storage process however many hosts start on it.
/// </summary>
public sealed record AzuriteRecord(
    [property: JsonPropertyName("pid")] int ProcessId,
    [property: JsonPropertyName("startedAt")] DateTime StartedAtUtc,
    [property: JsonPropertyName("blobPort")] int BlobPort,
    [property: JsonPropertyName("queuePort")] int QueuePort,
    [property: JsonPropertyName("tablePort")] int TablePort,
    [property: JsonPropertyName("controlPort")] int ControlPort)
{
    /// <summary>The record's file name inside the data folder.</summary>
    public const string FileName = "fanout-azurite.json";

    /// <summary>The lock file's name inside the data folder.</summary>
    public const string LockFileName = "fanout-azurite.lock";

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Reads the record of <paramref name="dataDirectory"/>; null when there is none or it cannot be read.</summary>
    public static AzuriteRecord? Read(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, FileName);
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<AzuriteRecord>(File.ReadAllText(path), Json) : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null; // a torn or foreign file is no record: its Azurite, if any, is found by nobody
        }
    }

    /// <summary>Writes the record atomically (temporary file, then rename).</summary>
    public void Write(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, FileName);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, Json));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Deletes the record of <paramref name="dataDirectory"/> if it still names <paramref name="processId"/>.</summary>
    public static void Delete(string dataDirectory, int processId)
    {
        if (Read(dataDirectory)?.ProcessId == processId)
        {
            File.Delete(Path.Combine(dataDirectory, FileName));
        }
    }

    /// <summary>
    /// Takes the folder's lock (an exclusive lock on <c>fanout-azurite.lock</c>, released by the OS if this process
    /// dies), waiting up to <paramref name="timeout"/> for another host that holds it.
    /// </summary>
    public static async Task<IDisposable> LockAsync(string dataDirectory, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var path = Path.Combine(dataDirectory, LockFileName);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited.Elapsed < timeout)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new TimeoutException($"Another process has held '{path}' for more than {timeout.TotalSeconds:0} s.", e);
            }
        }
    }
}
