using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Fanout.IntegrationTests.Infrastructure;
using Xunit;

namespace Fanout.IntegrationTests.Scale;

/// <summary>
/// Several portable hosts as OS processes on one storage account and one task hub: what a user gets by starting the
/// host N times with the same <c>Fanout:Storage:ConnectionString</c> and <c>Fanout:Durable:TaskHubName</c>. Every host
/// is stopped by its PID on dispose, whatever happened.
/// </summary>
internal sealed class HostGroup : IAsyncDisposable
{
    private readonly List<HostProcess> _hosts;
    private readonly StringBuilder _killedOutput = new();

    private HostGroup(List<HostProcess> hosts, IReadOnlyDictionary<string, string> settings)
    {
        _hosts = hosts;
        Settings = settings;
    }

    /// <summary>Gets the settings every host was started with.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; }

    /// <summary>Gets the hosts still running.</summary>
    public IReadOnlyList<HostProcess> Hosts => _hosts;

    /// <summary>Gets the task hub the hosts share.</summary>
    public string TaskHub => Settings["Fanout:Durable:TaskHubName"];

    /// <summary>Gets what every host printed so far, killed ones included (for failure messages).</summary>
    public string Output => _killedOutput + string.Join('\n', _hosts.Select(h => $"--- host pid {h.ProcessId} ---\n{h.Output}"));

    /// <summary>Starts <paramref name="count"/> hosts at once with the same <paramref name="settings"/>.</summary>
    public static async Task<HostGroup> StartAsync(int count, IReadOnlyDictionary<string, string> settings)
    {
        var starts = Enumerable.Range(0, count).Select(_ => HostProcess.StartAsync(new Dictionary<string, string>(settings))).ToList();
        try
        {
            return new HostGroup([.. await Task.WhenAll(starts)], settings);
        }
        catch
        {
            foreach (var start in starts.Where(s => s.IsCompletedSuccessfully))
            {
                await start.Result.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Settings for hosts sharing one task hub (fresh containers and task hub) on <paramref name="azurite"/>.</summary>
    public static Dictionary<string, string> SharedSettings(AzuriteFixture azurite, Uri simulator, string hubPrefix) => new()
    {
        ["Fanout:Storage:ConnectionString"] = azurite.ConnectionString,
        ["Fanout:Storage:InputContainer"] = AzuriteFixture.UniqueContainerName("in"),
        ["Fanout:Storage:OutputContainer"] = AzuriteFixture.UniqueContainerName("out"),
        ["Fanout:Storage:WorkContainer"] = AzuriteFixture.UniqueContainerName("work"),
        ["Fanout:Durable:TaskHubName"] = AzuriteFixture.UniqueTaskHubName(hubPrefix),
        ["Fanout:OpenAI:Endpoint"] = simulator.ToString(),
        ["Fanout:OpenAI:ApiKey"] = "simulator",
    };

    /// <summary>The <c>worker</c> object of <paramref name="host"/>'s <c>/healthz/worker</c>.</summary>
    public static async Task<JsonElement> WorkerAsync(HostProcess host)
        => JsonDocument.Parse(await host.Http.GetStringAsync("/healthz/worker")).RootElement.GetProperty("worker");

    /// <summary>Submits <paramref name="jsonl"/> to <paramref name="host"/> and returns the batch id.</summary>
    public static async Task<string> SubmitAsync(HostProcess host, byte[] jsonl, int cap, string idempotencyKey)
    {
        using var content = new ByteArrayContent(jsonl);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/batches?maxConcurrency={cap}") { Content = content };

        // The same key gives the same batch id, which the result lines carry: outputs of two runs compare byte for byte.
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        using var submit = await host.Http.SendAsync(request);
        var body = await submit.Content.ReadAsStringAsync();
        Assert.True(submit.StatusCode == System.Net.HttpStatusCode.Accepted, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>Waits until batch <paramref name="id"/> is completed, asking <paramref name="host"/>.</summary>
    public static async Task WaitCompletedAsync(HostProcess host, string id, TimeSpan timeout, Func<string> diagnostics)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var batch = JsonDocument.Parse(await host.Http.GetStringAsync($"/api/batches/{id}")).RootElement;
            if (batch.GetProperty("status").GetString() == "completed")
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Batch {id} did not complete: {batch}\n{diagnostics()}");
            await Task.Delay(200);
        }
    }

    /// <summary>
    /// The owner of each partition lease (the control queue's number → worker id), from the task hub's partition table:
    /// the table partition manager of DurableTask.AzureStorage keeps one row per control queue.
    /// </summary>
    public async Task<Dictionary<int, string?>> PartitionOwnersAsync(string connectionString)
    {
        var table = new TableClient(connectionString, TaskHub + "Partitions");
        var owners = new Dictionary<int, string?>();
        await foreach (var row in table.QueryAsync<TableEntity>())
        {
            owners[int.Parse(row.RowKey[^2..], System.Globalization.CultureInfo.InvariantCulture)] = row.GetString("CurrentOwner");
        }

        return owners;
    }

    /// <summary>The partition an orchestration instance lives on: DurableTask.AzureStorage's FNV-1a hash of its id.</summary>
    public static int PartitionOf(string instanceId, int partitionCount)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(instanceId))
        {
            hash = unchecked((hash ^ b) * 16777619u);
        }

        return (int)(hash % (uint)partitionCount);
    }

    /// <summary>SIGKILLs <paramref name="host"/> and removes it from the group.</summary>
    public async Task KillAsync(HostProcess host)
    {
        await host.KillAsync();
        _killedOutput.AppendLine($"--- host pid {host.ProcessId}, killed ---").AppendLine(host.Output);
        _hosts.Remove(host);
        await host.DisposeAsync();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        _hosts.Clear();
    }
}
