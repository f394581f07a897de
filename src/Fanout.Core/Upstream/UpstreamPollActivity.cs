using Microsoft.DurableTask;

namespace Fanout.Core.Upstream;

/// <summary>Looks at the upstream batches and reads the output of those that ended: see <see cref="UpstreamService.PollAsync"/>.</summary>
public sealed class UpstreamPollActivity(UpstreamService service) : TaskActivity<UpstreamStep, IReadOnlyList<UpstreamPart>>
{
    /// <inheritdoc />
    public override Task<IReadOnlyList<UpstreamPart>> RunAsync(TaskActivityContext context, UpstreamStep input) => service.PollAsync(input, CancellationToken.None);
}
