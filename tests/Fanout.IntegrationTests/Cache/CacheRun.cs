using System.Text;
using System.Text.Json;
using Fanout.Core.Api;
using Fanout.Core.Models;
using Fanout.Core.Service;
using Fanout.IntegrationTests.Infrastructure;
using Fanout.Simulator;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Fanout.IntegrationTests.Cache;

/// <summary>One finished batch of the cache tests: its result, batch object and output lines.</summary>
internal sealed record CacheRun(string Id, BatchResult Result, BatchObject Batch, List<JsonElement> Lines)
{
    /// <summary>The lines marked <c>"cached": true</c>.</summary>
    public IEnumerable<JsonElement> Cached => Lines.Where(IsCached);

    /// <summary>True when <paramref name="line"/> says <c>"cached": true</c>.</summary>
    public static bool IsCached(JsonElement line) => line.TryGetProperty("cached", out var c) && c.ValueKind == JsonValueKind.True;

    /// <summary>Submits <paramref name="jsonl"/> through the submit service with <paramref name="query"/> and waits for it.</summary>
    public static async Task<CacheRun> SubmitAsync(FanoutTestApp app, byte[] jsonl, params (string Name, string Value)[] query)
    {
        var submit = app.Services.GetRequiredService<BatchSubmitService>();
        var reply = await submit.SubmitAsync(
            new SubmitRequest(new MemoryStream(jsonl), SubmitFormat.Jsonl, jsonl.Length, QueryArgs.Of(query), null), app.Client, CancellationToken.None);
        Assert.True(reply.IsSuccess, reply.Error?.Message);
        return await FinishedAsync(app, reply.Value.Batch!.Id);
    }

    /// <summary>Waits for batch <paramref name="id"/> and reads what it produced.</summary>
    public static async Task<CacheRun> FinishedAsync(FanoutTestApp app, string id)
    {
        var meta = await app.WaitAsync(id, TimeSpan.FromMinutes(2));
        Assert.Equal(OrchestrationRuntimeStatus.Completed, meta.RuntimeStatus);
        var batch = await app.Api.GetAsync(id, app.Client, CancellationToken.None);
        return new CacheRun(id, meta.ReadOutputAs<BatchResult>()!, batch.Value!, await app.ReadOutputAsync(id));
    }

    /// <summary>One chat line as a batch file holds it.</summary>
    public static string Line(string customId, string content, string? model = null, int maxTokens = 16, double? temperature = null)
    {
        var body = new Dictionary<string, object> { ["messages"] = new[] { new { role = "user", content } }, ["max_tokens"] = maxTokens };
        if (model is not null)
        {
            body["model"] = model;
        }

        if (temperature is { } t)
        {
            body["temperature"] = t;
        }

        return JsonSerializer.Serialize(new { custom_id = customId, method = "POST", url = "/v1/chat/completions", body });
    }

    /// <summary>Lines as a JSONL file.</summary>
    public static byte[] Jsonl(IEnumerable<string> lines) => Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n");

    /// <summary>A simulator answering in a few milliseconds.</summary>
    public static Task<SimulatorServer> SimulatorAsync(Fanout.Simulator.Options.SimulatorOptions? options = null)
        => SimulatorServer.StartAsync(options ?? new Fanout.Simulator.Options.SimulatorOptions { LatencyMs = 5 });
}
