namespace Fanout.Core.Orchestrations;

/// <summary>One step of the scheduling loop: what finished, and the item it was started for.</summary>
/// <param name="Kind">Which kind of task finished.</param>
/// <param name="Task">The task itself (await it for its result or its failure).</param>
/// <param name="Item">The item of a <see cref="WindowEventKind.Finished"/> or <see cref="WindowEventKind.Waited"/> task.</param>
public readonly record struct WindowEvent<TItem>(WindowEventKind Kind, Task Task, TItem? Item);
