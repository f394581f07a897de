using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fanout.Core.Service;

/// <summary>The JSON of every body the services return and store: snake_case, nulls written (<c>completed_at: null</c> is part of the contract).</summary>
public static class ServiceJson
{
    /// <summary>The serializer options.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}
