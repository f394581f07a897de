using Fanout.Durable;
using Xunit;

namespace Fanout.Tests.Durable;

public sealed class WorkerIdentityTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fanout-worker-slots-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void Hosts_at_once_take_distinct_slots_and_a_restarted_host_takes_the_slot_its_predecessor_let_go()
    {
        var first = WorkerIdentity.TryTakeSlot(_folder);
        var second = WorkerIdentity.TryTakeSlot(_folder);
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Equal(0, first.Value.Slot);
        Assert.Equal(1, second.Value.Slot);

        // The first host dies: the OS closes its lock file, and the next host to start takes its slot (its name).
        first.Value.Lock.Dispose();
        var restarted = WorkerIdentity.TryTakeSlot(_folder);
        Assert.NotNull(restarted);
        Assert.Equal(0, restarted.Value.Slot);

        // While both run, a third host gets the next free slot.
        var third = WorkerIdentity.TryTakeSlot(_folder);
        Assert.Equal(2, third!.Value.Slot);

        foreach (var held in new[] { second, restarted, third })
        {
            held!.Value.Lock.Dispose();
        }
    }

    [Fact]
    public void The_default_name_is_the_machine_plus_a_slot_and_an_explicit_worker_id_wins()
    {
        Assert.StartsWith(Environment.MachineName + "-", WorkerIdentity.Default, StringComparison.Ordinal);
        Assert.Equal(WorkerIdentity.Default, WorkerIdentity.Of(new DurableBackendOptions()));
        Assert.Equal("vm-7", WorkerIdentity.Of(new DurableBackendOptions { WorkerId = "vm-7" }));
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
