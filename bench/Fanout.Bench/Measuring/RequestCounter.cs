using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Fanout.Bench.Measuring;

/// <summary>
/// Counts the HTTP requests this process sends (<c>--count-requests</c>), by Azurite service, method and resource, so a
/// run can say how many storage round trips each prompt costs and which ones. Listens to the
/// <c>HttpHandlerDiagnosticListener</c> of <see cref="HttpClient"/>, which every Azure SDK client and the gRPC client use.
/// Off by default: the listener costs a little per request.
/// </summary>
internal sealed partial class RequestCounter : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
{
    private readonly NamedCounts _counts = new();
    private readonly Dictionary<int, string> _services;
    private readonly IDisposable _allListeners;
    private readonly List<IDisposable> _subscriptions = [];

    public RequestCounter(int blobPort, int queuePort, int tablePort)
    {
        _services = new() { [blobPort] = "blob", [queuePort] = "queue", [tablePort] = "table" };
        _allListeners = DiagnosticListener.AllListeners.Subscribe(this);
    }

    /// <summary>Zeroes the counts and starts counting.</summary>
    public void Start() => _counts.Start();

    /// <summary>Stops counting and returns the counts, largest first.</summary>
    public IReadOnlyDictionary<string, long> Stop() => _counts.Stop();

    void IObserver<DiagnosticListener>.OnNext(DiagnosticListener value)
    {
        if (value.Name == "HttpHandlerDiagnosticListener")
        {
            lock (_subscriptions)
            {
                _subscriptions.Add(value.Subscribe(this, name => name == "System.Net.Http.Request"));
            }
        }
    }

    void IObserver<KeyValuePair<string, object?>>.OnNext(KeyValuePair<string, object?> value)
    {
        if (!_counts.Active || value.Key != "System.Net.Http.Request" || value.Value is null)
        {
            return;
        }

        if (value.Value.GetType().GetProperty("Request")?.GetValue(value.Value) is HttpRequestMessage { RequestUri: { } uri } request)
        {
            _counts.Add(Classify(request.Method.Method, uri));
        }
    }

    void IObserver<DiagnosticListener>.OnCompleted()
    {
    }

    void IObserver<DiagnosticListener>.OnError(Exception error)
    {
    }

    void IObserver<KeyValuePair<string, object?>>.OnCompleted()
    {
    }

    void IObserver<KeyValuePair<string, object?>>.OnError(Exception error)
    {
    }

    public void Dispose()
    {
        _allListeners.Dispose();
        lock (_subscriptions)
        {
            foreach (var s in _subscriptions)
            {
                s.Dispose();
            }
        }
    }

    /// <summary>"queue POST workitems/messages", "table GET History", "grpc CompleteActivityTask", "http GET /api/batches/{id}" …</summary>
    private string Classify(string method, Uri uri)
    {
        if (!_services.TryGetValue(uri.Port, out var service))
        {
            var path = uri.AbsolutePath;
            if (path.StartsWith("/TaskHubSidecarService/", StringComparison.Ordinal))
            {
                return "grpc " + path["/TaskHubSidecarService/".Length..];
            }

            return $"http {method} {Variable().Replace(path, "{id}")}";
        }

        // /devstoreaccount1/<resource>/<rest>: strip the per-run task hub and container names.
        var segments = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var resource = segments.Length > 1 ? segments[1] : "(account)";
        resource = HubName().Replace(resource, string.Empty);
        resource = RunContainer().Replace(resource, string.Empty);
        resource = resource.Split('(')[0];
        var detail = service switch
        {
            "queue" => segments.Length > 2 ? "/" + segments[2] : string.Empty,
            "blob" => segments.Length > 2 ? "/" + BlobKind(segments) : string.Empty,
            _ => string.Empty,
        };
        var query = uri.Query.Contains("comp=block&", StringComparison.Ordinal) || uri.Query.EndsWith("comp=block", StringComparison.Ordinal) ? "?comp=block"
            : uri.Query.Contains("comp=blocklist", StringComparison.Ordinal) ? "?comp=blocklist"
            : uri.Query.Contains("comp=lease", StringComparison.Ordinal) ? "?comp=lease"
            : string.Empty;
        return $"{service} {method} {resource}{detail}{query}";
    }

    private static string BlobKind(string[] segments)
    {
        // batches-work/{batch}/chunks/000000.jsonl → chunks/*.jsonl
        var rest = segments.Skip(2).ToArray();
        if (rest.Length >= 3 && rest[0].StartsWith("batch_", StringComparison.Ordinal))
        {
            return rest[1] + "/*" + Path.GetExtension(rest[^1]);
        }

        return rest.Length > 0 && rest[0].StartsWith("batch_", StringComparison.Ordinal) ? "{id}/" + rest[^1] : "*";
    }

    [GeneratedRegex("^bench[0-9a-f]{10}", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex HubName();

    [GeneratedRegex("^bench-[0-9a-f]{10}", RegexOptions.CultureInvariant)]
    private static partial Regex RunContainer();

    [GeneratedRegex("batch_[0-9a-f]+(~c[0-9]+)?", RegexOptions.CultureInvariant)]
    private static partial Regex Variable();
}
