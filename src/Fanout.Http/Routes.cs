namespace Fanout.Http;

/// <summary>
/// The route table, written once. Routes are relative to the <see cref="ApiPrefix"/> (the Functions host adds it
/// itself, the portable host maps them in a group under it), and <c>const</c> so <c>[HttpTrigger(Route = …)]</c> can use them.
/// </summary>
public static partial class Routes
{
    /// <summary>The prefix of every API route (the Functions host's default route prefix).</summary>
    public const string ApiPrefix = "api";

    /// <summary><c>POST</c> submit, <c>GET</c> list.</summary>
    public const string Batches = "batches";

    /// <summary><c>GET</c> one batch.</summary>
    public const string Batch = "batches/{id}";

    /// <summary><c>GET</c> the ordered output (<c>?partial=true</c>, <c>?merged=true</c>).</summary>
    public const string BatchResults = "batches/{id}/results";

    /// <summary><c>GET</c> the failed lines.</summary>
    public const string BatchErrors = "batches/{id}/errors";

    /// <summary><c>GET</c> the server-sent events of one batch.</summary>
    public const string BatchEvents = "batches/{id}/events";

    /// <summary><c>POST</c> cancel.</summary>
    public const string BatchCancel = "batches/{id}/cancel";

    /// <summary><c>POST</c> a new batch of the failed lines.</summary>
    public const string BatchRetry = "batches/{id}/retry";

    /// <summary><c>GET</c> the health check (the portable host serves it at the root, Functions under the prefix).</summary>
    public const string Healthz = "healthz";

    /// <summary>The <c>Location</c> of a batch: <c>/api/batches/{id}</c>.</summary>
    public static string BatchLocation(string id) => $"/{ApiPrefix}/{Batches}/{id}";
}
