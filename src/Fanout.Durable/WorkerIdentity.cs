using System.Globalization;

namespace Fanout.Durable;

/// <summary>
/// Who this host process is to the partition manager: <c>Fanout:Durable:WorkerId</c>, or the machine name plus the
/// process id. Every process is its own worker, so hosts sharing a task hub on one machine each own their partitions.
/// </summary>
public static class WorkerIdentity
{
    /// <summary>The machine name plus the process id.</summary>
    public static string Default { get; } = $"{Environment.MachineName}-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The worker id of this process given <paramref name="options"/>.</summary>
    public static string Of(DurableBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return string.IsNullOrWhiteSpace(options.WorkerId) ? Default : options.WorkerId;
    }
}
