using System.Collections.Concurrent;

namespace Fanout.Host.Durable.WorkItems;

/// <summary>The work items of one kind that were handed out and not yet completed, by reference.</summary>
internal sealed class WorkItemSet<T>
    where T : class
{
    readonly ConcurrentDictionary<T, byte> items = new(ReferenceEqualityComparer.Instance);

    /// <summary>Gets how many are outstanding.</summary>
    public int Count => items.Count;

    /// <summary>Gets whether none is outstanding.</summary>
    public bool IsEmpty => items.IsEmpty;

    /// <summary>Gets a snapshot of the outstanding work items.</summary>
    public ICollection<T> Items => items.Keys;

    public void Add(T workItem) => items.TryAdd(workItem, 0);

    public bool Contains(T workItem) => items.ContainsKey(workItem);

    public bool Remove(T workItem) => items.TryRemove(workItem, out _);
}
