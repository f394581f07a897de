using Fanout.Core.Api;
using Fanout.Core.Models;
using Microsoft.DurableTask.Client;
using Xunit;

namespace Fanout.Tests.Models;

/// <summary>The one rule for "is this status final", for contract statuses and for orchestration runtime statuses.</summary>
public sealed class BatchStatusTests
{
    [Theory]
    [InlineData(BatchStatus.Completed)]
    [InlineData(BatchStatus.Failed)]
    [InlineData(BatchStatus.Cancelled)]
    [InlineData(BatchStatus.Expired)]
    public void A_batch_never_changes_after_a_final_status(string status) => Assert.True(BatchStatus.IsFinal(status));

    [Theory]
    [InlineData(BatchStatus.Validating)]
    [InlineData(BatchStatus.InProgress)]
    [InlineData(BatchStatus.Finalizing)]
    [InlineData(BatchStatus.Cancelling)]
    [InlineData("COMPLETED")]
    [InlineData("")]
    [InlineData(null)]
    public void Running_unknown_and_missing_statuses_are_not_final(string? status) => Assert.False(BatchStatus.IsFinal(status));

    [Fact]
    public void The_final_set_is_exactly_the_contracts_four_ending_statuses()
        => Assert.Equal(["cancelled", "completed", "expired", "failed"], BatchStatus.Final.Order(StringComparer.Ordinal));

    [Theory]
    [InlineData(OrchestrationRuntimeStatus.Completed, true)]
    [InlineData(OrchestrationRuntimeStatus.Failed, true)]
    [InlineData(OrchestrationRuntimeStatus.Terminated, true)]
    [InlineData(OrchestrationRuntimeStatus.Running, false)]
    [InlineData(OrchestrationRuntimeStatus.Pending, false)]
    [InlineData(OrchestrationRuntimeStatus.Suspended, false)]
    public void An_orchestration_is_finished_only_in_an_ending_runtime_status(OrchestrationRuntimeStatus status, bool finished)
        => Assert.Equal(finished, BatchLookup.IsFinished(status));
}
