using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Xml.Linq;

namespace Fanout.Tests.Functions.OpenAI;

/// <summary>
/// Just enough of the Blob REST protocol, in memory, for the triggers' unit tests (the real Azurite runs under the
/// compatibility tests): create container, put, head, ranged get and delete of block blobs, with metadata (also set alone).
/// </summary>
internal sealed class InMemoryBlobHandler : HttpMessageHandler
{
    private readonly ConcurrentDictionary<string, (byte[] Data, Dictionary<string, string> Meta)> _blobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]> _blocks = new(StringComparer.Ordinal);

    /// <summary>The paths (<c>/container/blob</c>) stored so far.</summary>
    public ICollection<string> Paths => _blobs.Keys;

    /// <summary>Reorders a listing's paths (default: ordinal order, as Blob storage lists), to test readers that must not depend on it.</summary>
    public Func<IEnumerable<string>, IEnumerable<string>>? ListOrder { get; set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = Uri.UnescapeDataString(request.RequestUri!.AbsolutePath);
        var query = request.RequestUri.Query;
        if (request.Method == HttpMethod.Put && query.Contains("restype=container", StringComparison.Ordinal))
        {
            return Answer(HttpStatusCode.Created);
        }

        if (request.Method == HttpMethod.Put && Parameter(query, "comp") == "metadata")
        {
            // Set Blob Metadata: the bytes stay.
            if (!_blobs.TryGetValue(path, out var existing))
            {
                var gone = Answer(HttpStatusCode.NotFound);
                gone.Headers.Add("x-ms-error-code", "BlobNotFound");
                return gone;
            }

            _blobs[path] = (existing.Data, Meta(request));
            return WithBlobHeaders(Answer(HttpStatusCode.OK), 0, []);
        }

        if (request.Method == HttpMethod.Put)
        {
            var data = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
            var blockId = Parameter(query, "blockid");
            if (blockId is not null)
            {
                // Put Block: staged until the block list commits it.
                _blocks[path + "#" + blockId] = data;
                return Answer(HttpStatusCode.Created);
            }

            if (Parameter(query, "comp") == "blocklist")
            {
                var ids = XDocument.Parse(Encoding.UTF8.GetString(data).TrimStart('\uFEFF')).Root!.Elements().Select(e => e.Value);
                data = ids.SelectMany(id => _blocks.TryRemove(path + "#" + id, out var block) ? block : []).ToArray();
            }

            var meta = Meta(request);
            _blobs[path] = (data, meta);
            return WithBlobHeaders(Answer(HttpStatusCode.Created), data.Length, meta);
        }

        if (request.Method == HttpMethod.Get && Parameter(query, "comp") == "list")
        {
            return List(path, Parameter(query, "prefix") ?? string.Empty);
        }

        if (!_blobs.TryGetValue(path, out var blob))
        {
            var missing = Answer(HttpStatusCode.NotFound);
            missing.Headers.Add("x-ms-error-code", "BlobNotFound");
            return missing;
        }

        if (request.Method == HttpMethod.Delete)
        {
            _blobs.TryRemove(path, out _);
            return Answer(HttpStatusCode.Accepted);
        }

        if (request.Method == HttpMethod.Head)
        {
            return WithBlobHeaders(Answer(HttpStatusCode.OK), blob.Data.Length, blob.Meta);
        }

        var (from, to) = Range(request, blob.Data.Length);
        var slice = blob.Data[from..to];
        var response = new HttpResponseMessage(from == 0 && to == blob.Data.Length && !HasRange(request) ? HttpStatusCode.OK : HttpStatusCode.PartialContent)
        {
            Content = new ByteArrayContent(slice),
        };
        if (response.StatusCode == HttpStatusCode.PartialContent)
        {
            response.Content.Headers.ContentRange = new ContentRangeHeaderValue(from, Math.Max(from, to - 1), blob.Data.Length);
        }

        return WithBlobHeaders(response, slice.Length, blob.Meta);
    }

    // List Blobs of one container (no paging): the names under the prefix, in order.
    private HttpResponseMessage List(string containerPath, string prefix)
    {
        var container = containerPath.TrimEnd('/') + "/";
        var paths = _blobs.Keys.Where(k => k.StartsWith(container + prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal);
        var blobs = (ListOrder?.Invoke(paths) ?? paths).Select(k => (Key: k, Value: _blobs[k]))
            .Select(b => new XElement(
                "Blob",
                new XElement("Name", b.Key[container.Length..]),
                new XElement(
                    "Properties",
                    new XElement("Last-Modified", "Mon, 30 Nov 2026 12:00:00 GMT"),
                    new XElement("Etag", "0x1"),
                    new XElement("Content-Length", b.Value.Data.Length),
                    new XElement("BlobType", "BlockBlob"))));
        var xml = new XDocument(new XElement("EnumerationResults", new XElement("Blobs", blobs), new XElement("NextMarker")));
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(xml.ToString(), Encoding.UTF8, "application/xml") };
    }

    private static Dictionary<string, string> Meta(HttpRequestMessage request) =>
        request.Headers.Where(h => h.Key.StartsWith("x-ms-meta-", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(h => h.Key["x-ms-meta-".Length..], h => h.Value.First(), StringComparer.OrdinalIgnoreCase);

    private static string? Parameter(string query, string name)
        => query.TrimStart('?').Split('&').Select(p => p.Split('=', 2)).Where(p => p[0] == name).Select(p => Uri.UnescapeDataString(p[^1])).FirstOrDefault();

    private static bool HasRange(HttpRequestMessage request) => request.Headers.Contains("x-ms-range") || request.Headers.Range is not null;

    private static (int From, int To) Range(HttpRequestMessage request, int length)
    {
        var text = request.Headers.TryGetValues("x-ms-range", out var values) ? values.First() : request.Headers.Range?.ToString();
        if (text is null || !text.StartsWith("bytes=", StringComparison.Ordinal))
        {
            return (0, length);
        }

        var parts = text["bytes=".Length..].Split('-');
        var from = Math.Min(length, int.Parse(parts[0], CultureInfo.InvariantCulture));
        var to = parts[1].Length == 0 ? length : Math.Min(length, (int)Math.Min(int.MaxValue, long.Parse(parts[1], CultureInfo.InvariantCulture) + 1));
        return (from, to);
    }

    private static HttpResponseMessage Answer(HttpStatusCode status) => new(status) { Content = new ByteArrayContent([]) };

    private static HttpResponseMessage WithBlobHeaders(HttpResponseMessage response, long length, Dictionary<string, string> meta)
    {
        response.Headers.ETag = new EntityTagHeaderValue("\"0x1\"");
        response.Headers.Add("x-ms-blob-type", "BlockBlob");
        response.Headers.Add("x-ms-creation-time", DateTimeOffset.UnixEpoch.ToString("R", CultureInfo.InvariantCulture));
        foreach (var (key, value) in meta)
        {
            response.Headers.Add("x-ms-meta-" + key, value);
        }

        response.Content.Headers.ContentLength = length;
        response.Content.Headers.LastModified = DateTimeOffset.UnixEpoch;
        response.Content.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        return response;
    }
}
