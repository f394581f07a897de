#pragma warning disable OPENAI001 // The Batch API client is marked experimental in the OpenAI SDK.
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using Azure.AI.OpenAI;
using Fanout.Core.Llm;
using Fanout.Core.Llm.Pool;
using Fanout.Core.Options;
using OpenAI;
using OpenAI.Batch;
using OpenAI.Files;

namespace Fanout.Core.Upstream;

/// <summary>
/// One <c>batch</c> pool member's Batch API, through the official SDK's file and batch clients (Azure OpenAI's
/// <c>/openai/files</c> + <c>/openai/batches</c>, or OpenAI's <c>/v1/…</c> when the endpoint ends in <c>/v1</c>).
/// Every write is found first by its name (file) or metadata (batch), so a step repeated after a crash neither uploads
/// nor pays twice.
/// </summary>
public sealed class UpstreamBatchClient
{
    /// <summary>Pages of the batch list read while looking for a batch made before a crash (100 batches a page, newest first).</summary>
    public const int MaxListPages = 10;

    private readonly OpenAIFileClient _files;
    private readonly BatchClient _batches;

    /// <summary>
    /// A client for <paramref name="member"/>; a member without a key signs in as live calls do, with the user-assigned
    /// identity <paramref name="managedIdentityClientId"/> (<c>Fanout:OpenAI:ManagedIdentityClientId</c>) when set.
    /// </summary>
    public UpstreamBatchClient(PoolMember member, string? managedIdentityClientId = null)
    {
        ArgumentNullException.ThrowIfNull(member);
        if (member.Endpoint.AbsolutePath.TrimEnd('/').EndsWith("/v1", StringComparison.Ordinal))
        {
            var client = new OpenAIClient(new ApiKeyCredential(member.ApiKey ?? string.Empty), new OpenAIClientOptions { Endpoint = member.Endpoint });
            _files = client.GetOpenAIFileClient();
            _batches = client.GetBatchClient();
        }
        else
        {
            var client = AzureOpenAIClientFactory.Create(
                new OpenAIOptions { Endpoint = member.Endpoint, ApiKey = member.ApiKey, ManagedIdentityClientId = managedIdentityClientId }, new AzureOpenAIClientOptions());
            _files = client.GetOpenAIFileClient();
            _batches = client.GetBatchClient();
        }
    }

    /// <summary>The id of the batch input file named <paramref name="fileName"/>: the one uploaded before, or a new upload of <paramref name="content"/>.</summary>
    public async Task<string> UploadOnceAsync(string fileName, BinaryData content, CancellationToken cancellationToken)
    {
        var existing = (await _files.GetFilesAsync(FilePurpose.Batch, cancellationToken).ConfigureAwait(false)).Value;
        if (existing.FirstOrDefault(f => f.Filename == fileName && f.SizeInBytes == content.ToMemory().Length) is { } found)
        {
            return found.Id;
        }

        return (await _files.UploadFileAsync(content.ToStream(), fileName, FileUploadPurpose.Batch, cancellationToken).ConfigureAwait(false)).Value.Id;
    }

    /// <summary>
    /// The upstream batch of part <paramref name="part"/> of <paramref name="fanoutBatchId"/>: the one created before (any
    /// status but <c>failed</c>), or a new one over <paramref name="fileId"/>. A new batch the service refuses at once
    /// (the enqueued-token quota is full) comes back <c>failed</c> with its error.
    /// </summary>
    public async Task<JsonElement> CreateOnceAsync(string fanoutBatchId, int part, string fileId, CancellationToken cancellationToken)
    {
        if (await FindAsync(fanoutBatchId, part, cancellationToken).ConfigureAwait(false) is { } found)
        {
            return found;
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["input_file_id"] = fileId,
            ["endpoint"] = UpstreamLayout.ChatUrl,
            ["completion_window"] = "24h",
            ["metadata"] = new Dictionary<string, string> { [UpstreamLayout.BatchKey] = fanoutBatchId, [UpstreamLayout.PartKey] = part.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        });
        var operation = await _batches.CreateBatchAsync(BinaryContent.Create(BinaryData.FromBytes(body)), waitUntilCompleted: false, Options(cancellationToken)).ConfigureAwait(false);
        return Parse(operation.GetRawResponse().Content);
    }

    /// <summary>The upstream batch <paramref name="batchId"/> as the service reports it now.</summary>
    public async Task<JsonElement> GetAsync(string batchId, CancellationToken cancellationToken)
        => Parse((await OperationAsync(batchId, cancellationToken).ConfigureAwait(false)).GetRawResponse().Content);

    /// <summary>Asks the service to cancel <paramref name="batchId"/> (it keeps the lines already finished).</summary>
    public async Task CancelAsync(string batchId, CancellationToken cancellationToken)
    {
        var operation = await OperationAsync(batchId, cancellationToken).ConfigureAwait(false);
        await operation.CancelAsync(Options(cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>The content of file <paramref name="fileId"/>.</summary>
    public async Task<BinaryData> DownloadAsync(string fileId, CancellationToken cancellationToken)
        => (await _files.DownloadFileAsync(fileId, cancellationToken).ConfigureAwait(false)).Value;

    private async Task<JsonElement?> FindAsync(string fanoutBatchId, int part, CancellationToken cancellationToken)
    {
        var partText = part.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var pages = 0;
        await foreach (var page in _batches.GetBatchesAsync(after: null, limit: 100, Options(cancellationToken)).GetRawPagesAsync().ConfigureAwait(false))
        {
            var list = Parse(page.GetRawResponse().Content);
            foreach (var batch in list.GetProperty("data").EnumerateArray())
            {
                if (batch.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object
                    && metadata.TryGetProperty(UpstreamLayout.BatchKey, out var b) && b.ValueKind == JsonValueKind.String && b.GetString() == fanoutBatchId
                    && metadata.TryGetProperty(UpstreamLayout.PartKey, out var p) && p.ValueKind == JsonValueKind.String && p.GetString() == partText
                    && batch.GetProperty("status").GetString() != "failed")
                {
                    return batch.Clone();
                }
            }

            if (++pages >= MaxListPages)
            {
                break;
            }
        }

        return null;
    }

    /// <summary>The SDK's operation over an existing batch (its rehydration fetches the batch).</summary>
    private Task<CreateBatchOperation> OperationAsync(string batchId, CancellationToken cancellationToken)
    {
        var token = ContinuationToken.FromBytes(BinaryData.FromObjectAsJson(new Dictionary<string, string> { ["batchId"] = batchId }));
        return CreateBatchOperation.RehydrateAsync(_batches, token, cancellationToken);
    }

    private static RequestOptions Options(CancellationToken cancellationToken) => new() { CancellationToken = cancellationToken };

    private static JsonElement Parse(BinaryData content)
    {
        using var doc = JsonDocument.Parse(content);
        return doc.RootElement.Clone();
    }
}
