using Microsoft.DurableTask;

namespace Fanout.Core.Upstream;

/// <summary>Lines of a chunk without a stored result: see <see cref="UpstreamService.MissingAsync"/>.</summary>
public sealed class MissingLinesActivity(UpstreamService service) : TaskActivity<MissingLinesInput, IReadOnlyList<int>>
{
    /// <inheritdoc />
    public override Task<IReadOnlyList<int>> RunAsync(TaskActivityContext context, MissingLinesInput input) => service.MissingAsync(input, CancellationToken.None);
}
