namespace Fanout.Core.Orchestrations;

/// <summary>What <see cref="TaskWindow{TItem}.NextAsync"/> saw finish.</summary>
public enum WindowEventKind
{
    /// <summary>A task started with <see cref="TaskWindow{TItem}.Run"/> finished (its item is given back).</summary>
    Finished,

    /// <summary>A wait started with <see cref="TaskWindow{TItem}.Wait"/> (a durable timer) fired (its item is given back).</summary>
    Waited,

    /// <summary>One of the signals passed to <see cref="TaskWindow{TItem}.NextAsync"/> (cancel, a pause) completed.</summary>
    Signal,
}
