using System.Text.Json;
using Fanout.Core.Jsonl;
using Fanout.Core.Service;

namespace Fanout.Core.Api;

/// <summary>
/// A submit as a list of prompts (the JSON form <c>{"prompts": [...], "deployment"?, "maxConcurrency"?, "metadata"?,
/// "maxTotalTokens"?, "cache"?}</c>): each prompt becomes a user message whose <c>custom_id</c> is its zero-based index.
/// </summary>
public sealed record PromptsSubmission(
    IReadOnlyList<string> Prompts,
    string? Deployment = null,
    int? MaxConcurrency = null,
    IReadOnlyDictionary<string, string>? Metadata = null,
    long? MaxTotalTokens = null,
    bool? StandardSpend = null,
    string? Deadline = null,
    bool? Cache = null)
{
    /// <summary>The prompts as input lines.</summary>
    public Stream ToLines()
    {
        var lines = new MemoryStream();
        for (var i = 0; i < Prompts.Count; i++)
        {
            lines.Write(JsonlLineWriter.PromptLine(i, Prompts[i], null));
        }

        lines.Position = 0;
        return lines;
    }

    /// <summary>
    /// Reads the JSON form; a 400 <c>invalid_body</c> names the first thing wrong. More prompts than
    /// <paramref name="maxLines"/> throws <see cref="BatchLimitExceededException"/> (a 413, like a long JSONL body).
    /// </summary>
    public static async Task<ServiceResult<PromptsSubmission>> ReadAsync(Stream body, SubmitRules rules, int maxLines, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rules);
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(body, new JsonDocumentOptions { MaxDepth = 64 }, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            return ServiceError.InvalidBody($"The body is not valid JSON: {e.Message}");
        }

        using (doc)
        {
            return Read(doc.RootElement, rules, maxLines);
        }
    }

    private static ServiceResult<PromptsSubmission> Read(JsonElement root, SubmitRules rules, int maxLines)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return ServiceError.InvalidBody("The body must be a JSON object {\"prompts\": [...]}.");
        }

        if (!root.TryGetProperty("prompts", out var prompts) || prompts.ValueKind != JsonValueKind.Array)
        {
            return ServiceError.InvalidBody("'prompts' is required and must be an array of strings.");
        }

        if (prompts.GetArrayLength() > maxLines)
        {
            throw new BatchLimitExceededException("too_many_lines", maxLines, $"The batch has {prompts.GetArrayLength()} prompts; the limit is {maxLines}.");
        }

        string? deployment = null;
        if (root.TryGetProperty("deployment", out var d) && d.ValueKind != JsonValueKind.Null)
        {
            if (d.ValueKind != JsonValueKind.String || !SubmitRules.IsValidDeployment(d.GetString()!))
            {
                return ServiceError.InvalidBody($"'deployment' must be a string of {SubmitRules.DeploymentRule}.");
            }

            deployment = d.GetString();
        }

        if (!ConcurrencyCap.TryRead(root, ConcurrencyCap.Field, rules.MaxConcurrencyLimit, out var cap, out var capError))
        {
            return capError;
        }

        long? budget = null;
        if (SubmitOptionsQuery.ReadJson(root, ref budget) is { } budgetError)
        {
            return ServiceError.InvalidBody(budgetError);
        }

        bool? standardSpend = null;
        string? deadline = null;
        if (SubmitOptionsQuery.ReadJsonSpend(root, ref standardSpend, ref deadline) is { } spendError)
        {
            return ServiceError.InvalidBody(spendError);
        }

        bool? cache = null;
        if (SubmitOptionsQuery.ReadCacheJson(root, ref cache) is { } cacheError)
        {
            return ServiceError.InvalidBody(cacheError);
        }

        if (BatchMetadata.Read(root, out var metadata) is { } metadataError)
        {
            return ServiceError.InvalidBody(metadataError);
        }

        var list = new List<string>(prompts.GetArrayLength());
        foreach (var p in prompts.EnumerateArray())
        {
            if (p.ValueKind != JsonValueKind.String)
            {
                return ServiceError.InvalidBody($"'prompts[{list.Count}]' must be a string.");
            }

            list.Add(p.GetString()!);
        }

        return new PromptsSubmission(list, deployment, cap, metadata, budget, standardSpend, deadline, cache);
    }
}
