namespace Fanout.Bench.Deadline;

/// <summary>One measured batch of a deadline scenario.</summary>
/// <param name="Scenario">The scenario.</param>
/// <param name="Run"><c>all-live</c> or <c>deadline</c>.</param>
/// <param name="N">Lines.</param>
/// <param name="WallSeconds">Submit to completed.</param>
/// <param name="DeadlineSeconds">The deadline from submission; 0 for the all-live run.</param>
/// <param name="BatchLines">Lines answered by the Batch API.</param>
/// <param name="StandardLines">Lines answered live by the standard member.</param>
/// <param name="Failed">Failed lines.</param>
/// <param name="Cost">The batch object's <c>cost.total</c>.</param>
/// <param name="Upstream">The upstream batches' final statuses (simulator), e.g. <c>completed</c> or <c>cancelled</c>.</param>
/// <param name="Problem">What the output check found wrong; null when it is right.</param>
internal sealed record DeadlineRow(
    string Scenario, string Run, int N, double WallSeconds, int DeadlineSeconds, long BatchLines, long StandardLines, long Failed, decimal Cost, string Upstream, string? Problem);
