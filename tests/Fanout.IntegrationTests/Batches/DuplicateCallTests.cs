using Fanout.Core.Activities;
using Fanout.Core.Models;
using Fanout.Durable;
using Fanout.IntegrationTests.Infrastructure;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.Batches;

/// <summary>
/// At-least-once delivery hands the prompt activity copies of calls whose first copy still runs (an episode lost to a
/// crash is replayed and its calls are sent again). These drive the real activity (Azurite, the Azure.AI.OpenAI client,
/// the simulator over HTTP) with such copies, as the Durable Task worker would deliver them.
/// </summary>
public sealed class DuplicateCallTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    private const int Lines = 40;
    private const int Cap = 5;

    [Fact]
    public async Task Copies_of_running_calls_neither_call_the_model_again_nor_exceed_the_cap()
    {
        await using var simulator = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 200, DeterministicResponses = true });
        await using var app = await FanoutTestApp.StartAsync(azurite.ConnectionString, simulator, DurableBackendKind.Memory, output);
        var executor = app.Services.GetRequiredService<PromptExecutor>();
        var id = await PrepareAsync(app, "dup");

        // Every line three times at once, as a replayed episode would send them: 120 activity runs. The copies of a
        // line are started one right after the other (a run registers its line before its first await).
        var runs = Enumerable.Range(0, Lines)
            .SelectMany(i => Enumerable.Repeat(new PromptWorkItem(id, i, 500, "gpt-4o-mini", Cap: Cap), 3))
            .Select(item => executor.ExecuteAsync(item, CancellationToken.None))
            .ToArray();
        var outcomes = await Task.WhenAll(runs);

        var stats = simulator.Stats.Snapshot();
        output.WriteLine($"{runs.Length} runs of {Lines} lines with cap {Cap}: {stats.Requests} calls, {stats.DistinctPrompts} distinct, {stats.DuplicatePrompts} duplicates, peak {stats.PeakConcurrency}");
        Assert.All(outcomes, o => Assert.True(o.Succeeded));
        Assert.Equal(Enumerable.Range(0, Lines).SelectMany(i => Enumerable.Repeat(i, 3)), outcomes.Select(o => o.Index).Order());
        Assert.InRange(stats.PeakConcurrency, 1, Cap);
        Assert.Equal(Lines, stats.DistinctPrompts);
        Assert.Equal(Lines, stats.Requests); // one call per line: the copies joined the first
        Assert.Equal(0, stats.DuplicatePrompts);
        Assert.Equal(0, app.Services.GetRequiredService<BatchCallGate>().Batches);

        // The same lines with no cap sent along (a call saved before the cap was): nothing holds them back, which is
        // what the check above would have seen without the gate.
        simulator.ResetStats();
        var ungated = await PrepareAsync(app, "old");
        await Task.WhenAll(Enumerable.Range(0, Lines).Select(i => Task.Run(() => executor.ExecuteAsync(new PromptWorkItem(ungated, i, 500, "gpt-4o-mini"), CancellationToken.None))));
        var open = simulator.Stats.Snapshot();
        output.WriteLine($"without a cap: {open.Requests} calls, peak {open.PeakConcurrency}");
        Assert.True(open.PeakConcurrency > Cap, $"peak {open.PeakConcurrency} without the gate: the check above proves nothing");
    }

    private static async Task<string> PrepareAsync(FanoutTestApp app, string prefix)
    {
        var id = prefix + "_" + Guid.NewGuid().ToString("N")[..12];
        using var input = new MemoryStream(FanoutTestApp.Jsonl(Lines, i => $"{prefix} duplicate call prompt {i}"));
        var prepared = await app.Preparer.PrepareAsync(id, input, 500, CancellationToken.None);
        Assert.Equal(Lines, prepared.Total);
        return id;
    }
}
