using System.Net;
using System.Text;

namespace Fanout.Tests.Client;

/// <summary>
/// Plays Fanout's HTTP API in process for <see cref="Fanout.Client.FanoutClient"/>: each mapped route answers its
/// responses in turn (the last one again once they run out), an unmapped route is a bare 404 (a service without it),
/// and every request is recorded with its body.
/// </summary>
internal sealed class FanoutApiHandler : HttpMessageHandler
{
    private readonly Dictionary<string, Queue<Func<HttpResponseMessage>>> _routes = new(StringComparer.Ordinal);

    /// <summary>The requests received, in order.</summary>
    public List<RecordedRequest> Requests { get; } = [];

    /// <summary>A client over this handler at a loopback root.</summary>
    public Fanout.Client.FanoutClient CreateClient() => new(new HttpClient(this) { BaseAddress = new Uri("http://127.0.0.1:7071/") });

    /// <summary>Answers <paramref name="method"/> <paramref name="pathAndQuery"/> with <paramref name="answers"/> in turn.</summary>
    public FanoutApiHandler Map(HttpMethod method, string pathAndQuery, params Func<HttpResponseMessage>[] answers)
    {
        _routes[Key(method, pathAndQuery)] = new Queue<Func<HttpResponseMessage>>(answers);
        return this;
    }

    /// <summary>A JSON answer.</summary>
    public static Func<HttpResponseMessage> Json(HttpStatusCode status, string json) => () => new HttpResponseMessage(status)
    {
        Content = new StringContent(json, Encoding.UTF8, "application/json"),
    };

    /// <summary>A <c>text/event-stream</c> answer with <paramref name="wire"/> as its body.</summary>
    public static Func<HttpResponseMessage> EventStream(string wire) => () => new HttpResponseMessage(HttpStatusCode.OK)
    {
        Content = new StringContent(wire, Encoding.UTF8, "text/event-stream"),
    };

    /// <summary>A JSONL answer with <paramref name="lines"/>, and <c>Fanout-Complete</c> when given.</summary>
    public static Func<HttpResponseMessage> Jsonl(string lines, bool? complete = null) => () =>
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(lines, Encoding.UTF8, "application/jsonl") };
        if (complete is { } c)
        {
            response.Headers.Add("Fanout-Complete", c ? "true" : "false");
        }

        return response;
    };

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var pathAndQuery = request.RequestUri!.PathAndQuery;
        Requests.Add(new RecordedRequest(request.Method, pathAndQuery, request.Content?.Headers.ContentType?.MediaType, body));
        if (!_routes.TryGetValue(Key(request.Method, pathAndQuery), out var answers) || answers.Count == 0)
        {
            return new HttpResponseMessage(HttpStatusCode.NotFound) { Content = new ByteArrayContent([]) };
        }

        return (answers.Count > 1 ? answers.Dequeue() : answers.Peek())();
    }

    private static string Key(HttpMethod method, string pathAndQuery) => $"{method} {pathAndQuery}";
}
