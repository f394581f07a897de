using System.Text;
using System.Text.Json;
using Fanout.Core;
using Fanout.Core.Api;
using Fanout.Core.Models;
using Fanout.Core.Orchestrations;
using Fanout.Core.Storage;
using Fanout.Durable;
using Fanout.IntegrationTests.Durable;
using Fanout.Simulator;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.Infrastructure;

/// <summary>
/// Fanout's real orchestrator and activities on an in-process Durable Task worker (Azure Storage on Azurite, or in
/// memory), real blob storage on Azurite with containers no other test uses, and the real Azure.AI.OpenAI client
/// calling the simulator.
/// </summary>
public sealed class FanoutTestApp : IAsyncDisposable
{
    private readonly IHost _host;

    private FanoutTestApp(IHost host)
    {
        _host = host;
        Client = host.Services.GetRequiredService<DurableTaskClient>();
        Store = host.Services.GetRequiredService<BatchStore>();
        Preparer = host.Services.GetRequiredService<BatchPreparer>();
        Api = host.Services.GetRequiredService<BatchService>();
    }

    /// <summary>The durable client.</summary>
    public DurableTaskClient Client { get; }

    /// <summary>The blob store.</summary>
    public BatchStore Store { get; }

    /// <summary>The input preparer.</summary>
    public BatchPreparer Preparer { get; }

    /// <summary>The batch service (get, cancel, results).</summary>
    public BatchService Api { get; }

    /// <summary>The app's services (the activities' parts, for tests that drive them directly).</summary>
    public IServiceProvider Services => _host.Services;

    /// <summary>Starts the app against <paramref name="connectionString"/> and <paramref name="simulator"/>.</summary>
    public static async Task<FanoutTestApp> StartAsync(
        string connectionString,
        SimulatorServer simulator,
        DurableBackendKind backend,
        ITestOutputHelper output,
        IDictionary<string, string?>? settings = null,
        Action<DurableBackendOptions>? configureDurable = null,
        Action<ILoggingBuilder>? configureLogging = null,
        Action<IServiceCollection>? configureServices = null)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var prefix = Guid.NewGuid().ToString("N")[..10];
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Fanout:Storage:ConnectionString"] = connectionString,
            ["Fanout:Storage:InputContainer"] = $"in-{prefix}",
            ["Fanout:Storage:OutputContainer"] = $"out-{prefix}",
            ["Fanout:Storage:WorkContainer"] = $"work-{prefix}",
            ["Fanout:OpenAI:Endpoint"] = simulator.BaseUri.ToString(),
            ["Fanout:OpenAI:ApiKey"] = "simulator",
            ["Fanout:OpenAI:MaxInActivityWaitSeconds"] = "1",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new XunitLoggerProvider(output));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        configureLogging?.Invoke(builder.Logging);
        configureServices?.Invoke(builder.Services);
        builder.Services.AddFanoutCore();
        var taskHub = AzuriteFixture.UniqueTaskHubName("Fan");
        builder.Services.AddFanoutDurableBackend(r => r.AddFanoutTasks()).Configure(durable =>
        {
            durable.Backend = backend;
            durable.StorageConnectionString = connectionString;
            durable.TaskHubName = taskHub;
            durable.MaxConcurrentActivities = 200;
            configureDurable?.Invoke(durable);
        });
        var host = builder.Build();
        await host.StartAsync();
        return new FanoutTestApp(host);
    }

    /// <summary>JSONL of <paramref name="count"/> prompts with one user message each; custom_id "p-{i}".</summary>
    public static byte[] Jsonl(int count, Func<int, string>? prompt = null)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            var line = new
            {
                custom_id = $"p-{i}",
                method = "POST",
                url = "/v1/chat/completions",
                body = new { messages = new[] { new { role = "user", content = prompt?.Invoke(i) ?? $"Prompt number {i}: say something about {i * 7}." } }, max_tokens = 32 },
            };
            sb.Append(JsonSerializer.Serialize(line)).Append('\n');
        }

        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>Prepares <paramref name="jsonl"/> and starts its batch orchestration.</summary>
    /// <param name="jsonl">The input.</param>
    /// <param name="maxConcurrency">The cap.</param>
    /// <param name="chunkSize">Lines per chunk.</param>
    /// <param name="maxCallSeconds">How long one activity may hold a model call (0: the orchestrator's default).</param>
    /// <param name="shape">Changes the input before it starts (e.g. its spend settings); none when null.</param>
    public async Task<BatchInput> StartBatchAsync(byte[] jsonl, int maxConcurrency, int chunkSize = 500, int maxCallSeconds = 0, Func<BatchInput, BatchInput>? shape = null)
    {
        var id = "it_" + Guid.NewGuid().ToString("N")[..12];
        var prepared = await Preparer.PrepareAsync(id, new MemoryStream(jsonl), chunkSize, CancellationToken.None);
        var input = new BatchInput(id, "gpt-4o-mini", maxConcurrency, 0, Prepared: prepared, ChunkSize: chunkSize, MaxCallSeconds: maxCallSeconds);
        input = shape is null ? input : shape(input);
        await Client.ScheduleNewOrchestrationInstanceAsync(nameof(BatchOrchestrator), input, new Microsoft.DurableTask.StartOrchestrationOptions(id));
        return input;
    }

    /// <summary>Polls until the batch finishes.</summary>
    public async Task<OrchestrationMetadata> WaitAsync(string id, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        return await Client.WaitForCompletionByPollingAsync(id, TimeSpan.FromMilliseconds(200), cts.Token);
    }

    /// <summary>The lines of <c>output.jsonl</c> (or <c>errors.jsonl</c>) as parsed JSON.</summary>
    public async Task<List<JsonElement>> ReadOutputAsync(string id, string file = "output.jsonl")
    {
        await using var stream = await Store.OpenOutputAsync(id, file, CancellationToken.None) ?? throw new InvalidOperationException($"{file} missing");
        using var reader = new StreamReader(stream);
        var lines = new List<JsonElement>();
        while (await reader.ReadLineAsync() is { } line)
        {
            lines.Add(JsonDocument.Parse(line).RootElement.Clone());
        }

        return lines;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
