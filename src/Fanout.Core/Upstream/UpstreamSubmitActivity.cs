using Microsoft.DurableTask;

namespace Fanout.Core.Upstream;

/// <summary>Uploads the lines and creates the upstream batches: see <see cref="UpstreamService.SubmitAsync"/>.</summary>
public sealed class UpstreamSubmitActivity(UpstreamService service) : TaskActivity<UpstreamStep, IReadOnlyList<UpstreamPart>>
{
    /// <inheritdoc />
    public override Task<IReadOnlyList<UpstreamPart>> RunAsync(TaskActivityContext context, UpstreamStep input) => service.SubmitAsync(input, CancellationToken.None);
}
