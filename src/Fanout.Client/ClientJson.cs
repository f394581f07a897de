using System.Text.Json;

namespace Fanout.Client;

/// <summary>How the client reads the service's JSON: the contract's snake_case names.</summary>
internal static class ClientJson
{
    /// <summary>The options of every typed read.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
