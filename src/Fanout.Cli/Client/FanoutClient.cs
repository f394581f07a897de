using System.Net;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Fanout.Cli.Client;

/// <summary>The HTTP API of a Fanout (API.md), for the command line: batch objects stay <see cref="JsonElement"/>s.</summary>
public sealed class FanoutClient(HttpClient http) : IDisposable
{
    /// <summary>The name of the events of <c>GET /api/batches/{id}/events</c> that carry the batch object (API.md).</summary>
    private const string ProgressEvent = "progress";

    /// <summary>A client for <paramref name="baseUrl"/>, sending <paramref name="key"/> as <c>Authorization: Bearer</c>.</summary>
    public static FanoutClient Create(Uri baseUrl, string? key)
    {
        var http = new HttpClient { BaseAddress = baseUrl, Timeout = Timeout.InfiniteTimeSpan };
        if (!string.IsNullOrEmpty(key))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("fanout-cli", "1.0"));
        return new FanoutClient(http);
    }

    /// <summary>Submits a batch file: <c>.jsonl</c>/<c>.ndjson</c> as Batch API lines, <c>.json</c> as a prompts form, anything else as one prompt per line.</summary>
    public async Task<JsonElement> SubmitAsync(
        string path, int? maxConcurrency, string? deployment, CancellationToken cancellationToken, long? maxTotalTokens = null, bool dryRun = false, string? deadline = null, bool cache = false)
    {
        var query = new List<string>();
        if (cache)
        {
            query.Add("cache=true");
        }

        if (deadline is not null)
        {
            query.Add($"deadline={Uri.EscapeDataString(deadline)}");
        }

        if (dryRun)
        {
            query.Add("dryRun=true");
        }

        if (maxTotalTokens is { } budget)
        {
            query.Add($"maxTotalTokens={budget}");
        }

        if (maxConcurrency is { } cap)
        {
            query.Add($"maxConcurrency={cap}");
        }

        if (deployment is not null)
        {
            query.Add($"deployment={Uri.EscapeDataString(deployment)}");
        }

        HttpContent content;
        var extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension is ".jsonl" or ".ndjson")
        {
            content = new StreamContent(File.OpenRead(path));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        }
        else if (extension == ".json")
        {
            content = new StreamContent(File.OpenRead(path));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        else
        {
            var prompts = (await File.ReadAllLinesAsync(path, cancellationToken).ConfigureAwait(false)).Where(l => l.Trim().Length > 0).ToArray();
            content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(new { prompts }));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        using (content)
        {
            var suffix = query.Count == 0 ? string.Empty : "?" + string.Join('&', query);
            using var response = await http.PostAsync("api/batches" + suffix, content, cancellationToken).ConfigureAwait(false);
            return await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary><c>POST /api/batches/{id}/retry</c>: a new batch of the failed and cancelled lines.</summary>
    public async Task<JsonElement> RetryAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsync($"api/batches/{Uri.EscapeDataString(id)}/retry", content: null, cancellationToken).ConfigureAwait(false);
        return await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>GET /api/batches/{id}</c>.</summary>
    public async Task<JsonElement> GetAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"api/batches/{Uri.EscapeDataString(id)}", cancellationToken).ConfigureAwait(false);
        return await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>POST /api/batches/{id}/cancel</c>.</summary>
    public async Task<JsonElement> CancelAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsync($"api/batches/{Uri.EscapeDataString(id)}/cancel", null, cancellationToken).ConfigureAwait(false);
        return await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>GET /api/batches?limit=N&amp;after=ID</c>.</summary>
    public async Task<JsonElement> ListAsync(int limit, string? after, CancellationToken cancellationToken)
    {
        var url = $"api/batches?limit={limit}" + (after is null ? string.Empty : $"&after={Uri.EscapeDataString(after)}");
        using var response = await http.GetAsync(url, cancellationToken).ConfigureAwait(false);
        return await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Copies <c>results</c> (or <c>errors</c>) to <paramref name="destination"/>; <paramref name="partial"/> asks for the
    /// finished prefix of a running batch. Returns whether the output is complete (<c>Fanout-Complete</c>).
    /// </summary>
    public async Task<bool> CopyOutputAsync(string id, bool errors, bool partial, Stream destination, CancellationToken cancellationToken)
    {
        var url = $"api/batches/{Uri.EscapeDataString(id)}/{(errors ? "errors" : "results")}{(partial ? "?partial=true" : string.Empty)}";
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await ThrowIfFailedAsync(response, cancellationToken).ConfigureAwait(false);
        await response.Content.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
        return !response.Headers.TryGetValues("Fanout-Complete", out var values) || values.FirstOrDefault() != "false";
    }

    /// <summary>
    /// The batch objects of <c>GET /api/batches/{id}/events</c> as they arrive; ends when the server ends the stream.
    /// Throws <see cref="FanoutApiException"/> when the server refuses it.
    /// </summary>
    public async IAsyncEnumerable<JsonElement> EventsAsync(string id, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/batches/{Uri.EscapeDataString(id)}/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await ThrowIfFailedAsync(response, cancellationToken).ConfigureAwait(false);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);

        // .NET's own parser of the wire format (fields, multi-line data, comments as keep-alives); only progress events carry a batch.
        var events = SseParser.Create(stream, static (type, data) => type == ProgressEvent && !data.IsEmpty ? ParseBatch(data) : (JsonElement?)null);
        await foreach (var item in events.EnumerateAsync(cancellationToken).ConfigureAwait(false))
        {
            if (item.Data is { } batch)
            {
                yield return batch;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => http.Dispose();

    private static JsonElement ParseBatch(ReadOnlySpan<byte> data)
    {
        var reader = new Utf8JsonReader(data);
        return JsonElement.ParseValue(ref reader);
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await ThrowIfFailedAsync(response, cancellationToken).ConfigureAwait(false);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        return doc.RootElement.Clone();
    }

    private static async Task ThrowIfFailedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        string code = response.StatusCode == HttpStatusCode.Unauthorized ? "unauthorized" : "http_" + (int)response.StatusCode;
        var message = response.StatusCode == HttpStatusCode.Unauthorized
            ? "The service asks for a key: pass --key KEY (or set FANOUT_KEY)."
            : $"{(int)response.StatusCode} {response.ReasonPhrase}";
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object)
            {
                code = e.TryGetProperty("code", out var c) && c.GetString() is { } cs ? cs : code;
                message = e.TryGetProperty("message", out var m) && m.GetString() is { } ms ? ms : message;
            }
        }
        catch (JsonException)
        {
            // Not an error object (a proxy's page): the status says enough.
        }

        throw new FanoutApiException(response.StatusCode, code, message);
    }
}
