using Fanout.IntegrationTests.Infrastructure;
using Fanout.Simulator;
using Fanout.Simulator.Options;
using Xunit;

namespace Fanout.IntegrationTests.EndToEnd;

/// <summary>Azurite + the simulator in the test process + the portable host as a separate process, for one test class.</summary>
public sealed class HostFixture : IAsyncLifetime
{
    private readonly AzuriteFixture _azurite = new();

    /// <summary>The running host.</summary>
    public HostProcess Host { get; private set; } = null!;

    /// <summary>The simulator the host calls (its options may be changed by a test).</summary>
    public SimulatorServer Simulator { get; private set; } = null!;

    /// <summary>Storage connection string.</summary>
    public string ConnectionString => _azurite.ConnectionString;

    /// <summary>The host's input container.</summary>
    public string InputContainer { get; } = AzuriteFixture.UniqueContainerName("in");

    /// <summary>The host's output container.</summary>
    public string OutputContainer { get; } = AzuriteFixture.UniqueContainerName("out");

    /// <summary>Largest body the host accepts.</summary>
    public const int MaxBytes = 2 * 1024 * 1024;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        await _azurite.InitializeAsync();
        Simulator = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 10 });
        Host = await HostProcess.StartAsync(new Dictionary<string, string>
        {
            ["Fanout:Storage:ConnectionString"] = _azurite.ConnectionString,
            ["Fanout:Storage:InputContainer"] = InputContainer,
            ["Fanout:Storage:OutputContainer"] = OutputContainer,
            ["Fanout:Storage:WorkContainer"] = AzuriteFixture.UniqueContainerName("work"),
            ["Fanout:Durable:TaskHubName"] = AzuriteFixture.UniqueTaskHubName("E2e"),
            ["Fanout:OpenAI:Endpoint"] = Simulator.BaseUri.ToString(),
            ["Fanout:OpenAI:ApiKey"] = "simulator",
            ["Fanout:Batch:MaxBytes"] = MaxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Fanout:Host:BlobPollMilliseconds"] = "300",
            ["Fanout:Pricing:gpt-4o-mini:InputPerMillion"] = "0.15",
            ["Fanout:Pricing:gpt-4o-mini:OutputPerMillion"] = "0.6",
        });
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }

        if (Simulator is not null)
        {
            await Simulator.DisposeAsync();
        }

        await _azurite.DisposeAsync();
    }
}
