using System.Net.Http.Headers;
using System.Text.Json;
using Fanout.IntegrationTests.Infrastructure;
using Fanout.Simulator;
using Xunit;

namespace Fanout.IntegrationTests.SecondTries;

/// <summary>Starting the host as a process on its own containers and task hub, and the HTTP calls these tests repeat.</summary>
internal static class SecondTryHost
{
    /// <summary>Settings for a host on <paramref name="connectionString"/> calling <paramref name="simulator"/>, with containers and a task hub no other host uses.</summary>
    public static Dictionary<string, string> Settings(string connectionString, SimulatorServer simulator, string hub, IDictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["Fanout:Storage:ConnectionString"] = connectionString,
            ["Fanout:Storage:InputContainer"] = AzuriteFixture.UniqueContainerName("in"),
            ["Fanout:Storage:OutputContainer"] = AzuriteFixture.UniqueContainerName("out"),
            ["Fanout:Storage:WorkContainer"] = AzuriteFixture.UniqueContainerName("work"),
            ["Fanout:Durable:TaskHubName"] = AzuriteFixture.UniqueTaskHubName(hub),
            ["Fanout:OpenAI:Endpoint"] = simulator.BaseUri.ToString(),
            ["Fanout:OpenAI:ApiKey"] = "simulator",
            ["Fanout:Host:WatchBlobs"] = "false",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>POSTs <paramref name="jsonl"/> to <paramref name="path"/>.</summary>
    public static async Task<HttpResponseMessage> PostJsonlAsync(HttpClient http, string path, byte[] jsonl, string? idempotencyKey = null)
    {
        var content = new ByteArrayContent(jsonl);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return await http.SendAsync(request);
    }

    /// <summary>The JSON body of <paramref name="response"/>.</summary>
    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
        => JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    /// <summary>Polls the batch until its status is completed or cancelled, and returns it.</summary>
    public static async Task<JsonElement> WaitAsync(HostProcess host, string id, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(4));
        while (true)
        {
            var batch = JsonDocument.Parse(await host.Http.GetStringAsync($"/api/batches/{id}")).RootElement.Clone();
            if (batch.GetProperty("status").GetString() is "completed" or "cancelled" or "failed")
            {
                return batch;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Batch {id} did not finish: {batch}\n{host.Output}");
            await Task.Delay(200);
        }
    }

    /// <summary>The lines of a JSONL answer, parsed.</summary>
    public static List<JsonElement> Lines(byte[] jsonl)
        => System.Text.Encoding.UTF8.GetString(jsonl).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
}
