using System.Net;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Fanout.Client.Models;

namespace Fanout.Client;

/// <summary>
/// The HTTP API of a Fanout (API.md): submit, get, watch, results, errors, cancel, retry, list. A refused call throws
/// <see cref="FanoutApiException"/> with the answer's error code.
/// </summary>
/// <param name="http">The HTTP client; its <see cref="HttpClient.BaseAddress"/> is the service's root and ends with '/'.</param>
public sealed class FanoutClient(HttpClient http) : IDisposable
{
    /// <summary>How often <see cref="WatchAsync"/> reads the batch when it polls, unless told otherwise.</summary>
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(1);

    /// <summary>The name of the events of <c>GET /api/batches/{id}/events</c> that carry the batch object (API.md).</summary>
    private const string ProgressEvent = "progress";

    /// <summary>The header of <c>results</c> that says whether the output is whole (API.md, <c>partial=true</c>).</summary>
    private const string CompleteHeader = "Fanout-Complete";

    /// <summary>
    /// A client for <paramref name="baseUrl"/> with no timeout (a watch or a download lasts as long as the batch),
    /// sending <paramref name="key"/> as <c>Authorization: Bearer</c>.
    /// </summary>
    public static FanoutClient Create(Uri baseUrl, string? key, string userAgent = "fanout-client/1.0")
    {
        ArgumentNullException.ThrowIfNull(baseUrl);

        // Relative API paths resolve under the base only when it ends with '/'.
        var root = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        var client = new HttpClient { BaseAddress = root, Timeout = Timeout.InfiniteTimeSpan };
        if (!string.IsNullOrEmpty(key))
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        client.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
        return new FanoutClient(client);
    }

    /// <summary>Submits JSONL input lines (<c>application/jsonl</c>), streamed from <paramref name="lines"/>.</summary>
    public async Task<FanoutBatch> SubmitJsonlAsync(Stream lines, BatchSubmitOptions? options, CancellationToken cancellationToken)
    {
        using var content = new StreamContent(lines);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        return await SubmitAsync<FanoutBatch>(content, options, dryRun: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Submits a prompt list (<c>{"prompts": [...]}</c>): each prompt a user message, its index the <c>custom_id</c>.</summary>
    public async Task<FanoutBatch> SubmitPromptsAsync(IEnumerable<string> prompts, BatchSubmitOptions? options, CancellationToken cancellationToken)
    {
        using var content = PromptsContent(prompts);
        return await SubmitAsync<FanoutBatch>(content, options, dryRun: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Submits a batch file: <c>.jsonl</c>/<c>.ndjson</c> as Batch API lines, <c>.json</c> as a prompts form, anything else as one prompt per line.</summary>
    public async Task<FanoutBatch> SubmitFileAsync(string path, BatchSubmitOptions? options, CancellationToken cancellationToken)
    {
        using var content = await FileContentAsync(path, cancellationToken).ConfigureAwait(false);
        return await SubmitAsync<FanoutBatch>(content, options, dryRun: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The dry run of <see cref="SubmitFileAsync"/> (<c>dryRun=true</c>): the <c>batch_estimate</c> object of API.md
    /// (lines, invalid, tokens, cost, time at quota, plans, line errors), nothing stored or sent.
    /// </summary>
    public async Task<JsonElement> EstimateFileAsync(string path, BatchSubmitOptions? options, CancellationToken cancellationToken)
    {
        using var content = await FileContentAsync(path, cancellationToken).ConfigureAwait(false);
        return await SubmitAsync<JsonElement>(content, options, dryRun: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>POST /api/batches/{id}/retry</c>: a new batch of the failed and cancelled lines.</summary>
    public Task<FanoutBatch> RetryAsync(string id, CancellationToken cancellationToken)
        => SendAsync<FanoutBatch>(HttpMethod.Post, BatchPath(id) + "/retry", cancellationToken);

    /// <summary><c>GET /api/batches/{id}</c>.</summary>
    public Task<FanoutBatch> GetAsync(string id, CancellationToken cancellationToken)
        => SendAsync<FanoutBatch>(HttpMethod.Get, BatchPath(id), cancellationToken);

    /// <summary><c>POST /api/batches/{id}/cancel</c>: unsent lines are not sent, finished results are kept.</summary>
    public Task<FanoutBatch> CancelAsync(string id, CancellationToken cancellationToken)
        => SendAsync<FanoutBatch>(HttpMethod.Post, BatchPath(id) + "/cancel", cancellationToken);

    /// <summary><c>GET /api/batches?limit=N&amp;after=ID</c>: a page of batches, newest first.</summary>
    public Task<BatchPage> ListAsync(int limit, string? after, CancellationToken cancellationToken)
        => SendAsync<BatchPage>(HttpMethod.Get, ListPath(limit, after), cancellationToken);

    /// <summary>The list object of <see cref="ListAsync"/> as the service wrote it, for callers that pass it on whole.</summary>
    public Task<JsonElement> ListJsonAsync(int limit, string? after, CancellationToken cancellationToken)
        => SendAsync<JsonElement>(HttpMethod.Get, ListPath(limit, after), cancellationToken);

    /// <summary>
    /// Copies the ordered output (<c>results</c>, JSONL) to <paramref name="destination"/> as it arrives;
    /// <paramref name="partial"/> asks for the finished prefix of a running batch. Returns whether the output is whole.
    /// </summary>
    public Task<bool> CopyResultsAsync(string id, Stream destination, bool partial, CancellationToken cancellationToken)
        => CopyOutputAsync(BatchPath(id) + (partial ? "/results?partial=true" : "/results"), destination, cancellationToken);

    /// <summary>Copies the failed lines (<c>errors</c>, JSONL, in input order) to <paramref name="destination"/> as they arrive.</summary>
    public Task<bool> CopyErrorsAsync(string id, Stream destination, CancellationToken cancellationToken)
        => CopyOutputAsync(BatchPath(id) + "/errors", destination, cancellationToken);

    /// <summary>
    /// The batch objects of <c>GET /api/batches/{id}/events</c> as they arrive; ends when the server ends the stream.
    /// Throws <see cref="FanoutApiException"/> when the server refuses it.
    /// </summary>
    public async IAsyncEnumerable<FanoutBatch> EventsAsync(string id, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, BatchPath(id) + "/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await ThrowIfFailedAsync(response, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            // .NET's own parser of the wire format (fields, multi-line data, comments as keep-alives); only progress events carry a batch.
            var events = SseParser.Create(stream, static (type, data) => type == ProgressEvent && !data.IsEmpty ? JsonSerializer.Deserialize<FanoutBatch>(data, ClientJson.Options) : null);
            await foreach (var item in events.EnumerateAsync(cancellationToken).ConfigureAwait(false))
            {
                if (item.Data is { } batch)
                {
                    yield return batch;
                }
            }
        }
    }

    /// <summary>
    /// Follows a batch until it has a final status (the last object yielded): from its event stream, falling back to
    /// polling <c>GET /api/batches/{id}</c> every <paramref name="pollInterval"/> when the stream is unavailable or ends
    /// early; <paramref name="onPolling"/> hears why. An unknown batch or a missing key is thrown, not polled.
    /// </summary>
    public async IAsyncEnumerable<FanoutBatch> WatchAsync(
        string id, Action<string>? onPolling = null, TimeSpan? pollInterval = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var events = EventsAsync(id, cancellationToken).GetAsyncEnumerator(cancellationToken);
        await using (events.ConfigureAwait(false))
        {
            while (true)
            {
                string? fallback;
                try
                {
                    fallback = await events.MoveNextAsync().ConfigureAwait(false) ? null : "The event stream ended early; polling instead.";
                }
                catch (FanoutApiException e) when (e.Code is "batch_not_found" or "invalid_batch_id" or FanoutApiException.UnauthorizedCode)
                {
                    throw;
                }
                catch (Exception e) when (e is FanoutApiException or HttpRequestException or IOException or JsonException && !cancellationToken.IsCancellationRequested)
                {
                    fallback = $"The event stream is unavailable ({Reason(e)}); polling instead.";
                }

                if (fallback is not null)
                {
                    onPolling?.Invoke(fallback);
                    break;
                }

                yield return events.Current;
                if (events.Current.IsFinal)
                {
                    yield break;
                }
            }
        }

        while (true)
        {
            var batch = await GetAsync(id, cancellationToken).ConfigureAwait(false);
            yield return batch;
            if (batch.IsFinal)
            {
                yield break;
            }

            await Task.Delay(pollInterval ?? DefaultPollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public void Dispose() => http.Dispose();

    private static string BatchPath(string id) => $"api/batches/{Uri.EscapeDataString(id)}";

    private static string ListPath(int limit, string? after) =>
        FormattableString.Invariant($"api/batches?limit={limit}") + (after is null ? string.Empty : $"&after={Uri.EscapeDataString(after)}");

    private static string Reason(Exception e) => e is FanoutApiException { Status: HttpStatusCode.NotFound } ? "this service has no /events" : e.Message;

    private static ByteArrayContent PromptsContent(IEnumerable<string> prompts)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(new { prompts }));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static async Task<HttpContent> FileContentAsync(string path, CancellationToken cancellationToken)
    {
        var extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension is ".jsonl" or ".ndjson" or ".json")
        {
            var content = new StreamContent(File.OpenRead(path));
            content.Headers.ContentType = new MediaTypeHeaderValue(extension == ".json" ? "application/json" : "application/jsonl");
            return content;
        }

        var prompts = (await File.ReadAllLinesAsync(path, cancellationToken).ConfigureAwait(false)).Where(l => l.Trim().Length > 0).ToArray();
        return PromptsContent(prompts);
    }

    private async Task<T> SubmitAsync<T>(HttpContent content, BatchSubmitOptions? options, bool dryRun, CancellationToken cancellationToken)
    {
        var query = (options ?? new BatchSubmitOptions()).Query(dryRun);
        using var response = await http.PostAsync("api/batches" + query, content, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<T>(response, cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<T>(response, cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> CopyOutputAsync(string path, Stream destination, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await ThrowIfFailedAsync(response, cancellationToken).ConfigureAwait(false);
        await response.Content.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
        return !response.Headers.TryGetValues(CompleteHeader, out var values) || values.FirstOrDefault() != "false";
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await ThrowIfFailedAsync(response, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return JsonSerializer.Deserialize<T>(body, ClientJson.Options) ?? throw new JsonException($"The service answered null for {typeof(T).Name}.");
    }

    private static async Task ThrowIfFailedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var unauthorized = response.StatusCode == HttpStatusCode.Unauthorized;
        var code = unauthorized ? FanoutApiException.UnauthorizedCode : "http_" + (int)response.StatusCode;
        var message = unauthorized ? "The service asks for a key." : $"{(int)response.StatusCode} {response.ReasonPhrase}";
        var hasErrorObject = false;
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object)
            {
                hasErrorObject = true;
                code = e.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : code;
                message = e.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : message;
            }
        }
        catch (JsonException)
        {
            // Not an error object (a proxy's page, an empty body): the status says enough.
        }

        throw new FanoutApiException(response.StatusCode, code, message, text) { HasErrorObject = hasErrorObject };
    }
}
