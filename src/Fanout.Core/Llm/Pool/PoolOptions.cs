namespace Fanout.Core.Llm.Pool;

/// <summary>
/// The pool members read from <c>Fanout:OpenAI:Pool</c> (by <see cref="PoolConfiguration"/>), with the configuration
/// key of each, and what was wrong with them: <see cref="PoolOptionsValidator"/> fails the start on <see cref="Errors"/>.
/// </summary>
public sealed class PoolOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Fanout:OpenAI:Pool";

    /// <summary>The valid members in configuration order.</summary>
    public IList<PoolMember> Members { get; } = new List<PoolMember>();

    /// <summary>One message per configuration problem, each naming its key.</summary>
    public IList<string> Errors { get; } = new List<string>();
}
