using Fanout.Core.Api;
using Fanout.Core.Jsonl;
using Fanout.Core.Options;
using Fanout.Core.Service;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fanout.Core.OpenAICompat;

/// <summary>
/// The Files half of the OpenAI-compatible surface (API.md), transport-free: upload, list, get, content and delete.
/// Uploaded files live in <see cref="OpenAIFileStore"/>; a finished batch's output and error files are views
/// (<see cref="OpenAIBatchOutputFiles"/>).
/// </summary>
public sealed partial class OpenAIFileService(
    Storage.BatchStore store,
    OpenAIFileStore files,
    OpenAIBatchOutputFiles outputs,
    OpenAIBatchRecords records,
    IOptions<BatchOptions> batchOptions,
    TimeProvider time,
    ILogger<OpenAIFileService> logger)
{
    private const int MaxPurposeBytes = 64;

    // A use recorded this recently by a batch that does not exist yet is a create in progress (record, claim,
    // schedule take well under this); an older one is left by a create that failed before scheduling.
    private static readonly TimeSpan CreateWindow = TimeSpan.FromMinutes(2);

    /// <summary>
    /// <c>POST /v1/files</c> (multipart: <c>purpose=batch</c>, <c>file</c>): streams the file into storage, checking the
    /// limits as it goes. <paramref name="upload"/> is null when the body is not <c>multipart/form-data</c> (415).
    /// </summary>
    public async Task<ServiceResult<OpenAIFileObject>> UploadAsync(FormUpload? upload, CancellationToken cancellationToken)
    {
        if (upload is null)
        {
            return OpenAIErrors.UploadNotMultipart();
        }

        var o = batchOptions.Value;
        string? purpose = null;
        OpenAIFileObject? file = null;
        try
        {
            var body = new LimitedReadStream(upload.Body, o.MaxBytes + (1024 * 1024));
            await foreach (var part in upload.ReadParts(body, cancellationToken).ConfigureAwait(false))
            {
                if (part.Name == "purpose")
                {
                    purpose = await ReadSmallTextAsync(part.Body, cancellationToken).ConfigureAwait(false);
                    if (purpose is not OpenAIFileIds.BatchPurpose)
                    {
                        break;
                    }
                }
                else if (part.Name == "file" && file is null)
                {
                    var filename = string.IsNullOrWhiteSpace(part.FileName) ? "upload.jsonl" : Path.GetFileName(part.FileName);
                    file = await files.UploadAsync(OpenAIFileIds.NewFileId(), filename, OpenAIFileIds.BatchPurpose, part.Body, o.MaxBytes, o.MaxLines, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await part.Body.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (BatchLimitExceededException e)
        {
            return ServiceError.TooLarge(e.Code, $"The file is too large: {e.Message}.");
        }
        catch (Exception e) when (e is IOException or InvalidDataException && !cancellationToken.IsCancellationRequested)
        {
            // The multipart reader's complaints about a malformed body (unexpected end, headers or lines too long).
            await DeleteUploadedAsync(file, cancellationToken).ConfigureAwait(false);
            return ServiceError.InvalidBody(MultipartProblem(e));
        }

        if (purpose is not OpenAIFileIds.BatchPurpose)
        {
            await DeleteUploadedAsync(file, cancellationToken).ConfigureAwait(false);
            return ServiceError.InvalidParameter(
                purpose is null ? "The field 'purpose' is required and must be \"batch\"." : $"purpose '{purpose}' is not supported; Fanout stores files of purpose \"batch\".");
        }

        if (file is null)
        {
            return ServiceError.InvalidParameter("The field 'file' (the JSONL input) is required.");
        }

        LogFileUploaded(logger, file.Id, file.Bytes);
        return file;
    }

    /// <summary><c>GET /v1/files?purpose=&amp;after=&amp;limit=&amp;order=</c>: newest first unless <c>order=asc</c>.</summary>
    public async Task<ServiceResult<OpenAIList<OpenAIFileObject>>> ListAsync(QueryArgs query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = OpenAIListQuery.Limit(query, 10_000, 10_000);
        if (!limit.IsSuccess)
        {
            return limit.Error;
        }

        var ascending = OpenAIListQuery.Ascending(query);
        if (!ascending.IsSuccess)
        {
            return ascending.Error;
        }

        var all = await files.ListAsync(OpenAIListQuery.Text(query, "purpose"), cancellationToken).ConfigureAwait(false);
        if (ascending.Value)
        {
            all.Reverse();
        }

        var after = OpenAIListQuery.Text(query, "after");
        var start = after is null ? 0 : all.FindIndex(f => f.Id == after) + 1;
        var page = all.Skip(start).Take(limit.Value).ToList();
        return new OpenAIList<OpenAIFileObject>(page, page.FirstOrDefault()?.Id, page.LastOrDefault()?.Id, start + page.Count < all.Count);
    }

    /// <summary><c>GET /v1/files/{id}</c>: an uploaded file, or the output or error file of a finished batch.</summary>
    public async Task<ServiceResult<OpenAIFileObject>> GetAsync(string id, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(client);
        if (!OpenAIFileIds.IsFileId(id))
        {
            return OpenAIErrors.FileNotFound(id);
        }

        if (await files.GetAsync(id, cancellationToken).ConfigureAwait(false) is { } file)
        {
            return file;
        }

        // A batch's output or error file: a view of its ordered output, there once the batch has finished (also after
        // its history was purged: then its batch.json says when it finished).
        if (OpenAIFileIds.ParseBatchFileId(id) is { } batchFile && BatchIds.IsValid(batchFile.BatchId)
            && await FinishedAtAsync(batchFile.BatchId, client, cancellationToken).ConfigureAwait(false) is { } finishedAt
            && await outputs.GetAsync(batchFile.BatchId, batchFile.Errors, finishedAt, cancellationToken).ConfigureAwait(false) is { } view)
        {
            return view;
        }

        return OpenAIErrors.FileNotFound(id);
    }

    /// <summary>When the batch finished (unix seconds), or null while it runs or when there is no such batch.</summary>
    private async Task<long?> FinishedAtAsync(string batchId, DurableTaskClient client, CancellationToken cancellationToken)
    {
        if (await client.GetInstanceAsync(batchId, cancellationToken).ConfigureAwait(false) is { } meta)
        {
            return BatchLookup.IsFinished(meta.RuntimeStatus) ? meta.LastUpdatedAt.ToUnixTimeSeconds() : null;
        }

        return await Storage.BatchRecords.TryReadAsync(store, batchId, cancellationToken).ConfigureAwait(false) is { } kept
            ? kept.CompletedAt ?? kept.CreatedAt
            : null;
    }

    /// <summary><c>GET /v1/files/{id}/content</c>: the bytes, streamed (a batch's output file without its error lines).</summary>
    public async Task<ServiceResult<ContentBody>> GetContentAsync(string id, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var found = await GetAsync(id, client, cancellationToken).ConfigureAwait(false);
        if (!found.IsSuccess)
        {
            return found.Error;
        }

        var file = found.Value;
        if (file.Purpose == OpenAIFileIds.BatchOutputPurpose && OpenAIFileIds.ParseBatchFileId(file.Id) is { } batchFile)
        {
            return ContentBody.FromWriter((body, ct) => outputs.WriteAsync(batchFile.BatchId, batchFile.Errors, body, ct));
        }

        var stream = await files.OpenReadAsync(file.Id, cancellationToken).ConfigureAwait(false);
        return stream is null ? OpenAIErrors.FileNotFound(id) : ContentBody.FromStream(stream);
    }

    /// <summary><c>DELETE /v1/files/{id}</c>: 409 while a batch that reads the file runs.</summary>
    public async Task<ServiceResult<OpenAIFileDeleted>> DeleteAsync(string id, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(client);
        if (!OpenAIFileIds.IsFileId(id))
        {
            return OpenAIErrors.FileNotFound(id);
        }

        // Read the file's version before its uses: a batch create records its use, then claims the file with a
        // conditional write. Either the use is seen here, or the claim comes later and the delete below (conditional
        // on this version) fails; never a deleted file under a batch that was told 200.
        var version = await files.VersionAsync(id, cancellationToken).ConfigureAwait(false);
        foreach (var (batchId, recordedAt) in await records.BatchesUsingAsync(id, cancellationToken).ConfigureAwait(false))
        {
            var meta = await client.GetInstanceAsync(batchId, cancellationToken).ConfigureAwait(false);
            if (meta is null ? time.GetUtcNow() - recordedAt < CreateWindow : !BatchLookup.IsFinished(meta.RuntimeStatus))
            {
                return FileInUse(id, batchId);
            }
        }

        if (version is { } unchanged)
        {
            if (!await files.DeleteIfUnchangedAsync(id, unchanged, cancellationToken).ConfigureAwait(false))
            {
                // Claimed by a batch create since the version was read (or deleted by another call).
                return await files.GetAsync(id, cancellationToken).ConfigureAwait(false) is null ? OpenAIErrors.FileNotFound(id) : FileInUse(id, null);
            }

            await records.ForgetUsesAsync(id, cancellationToken).ConfigureAwait(false);
            return new OpenAIFileDeleted(id);
        }

        // A batch's output or error file: from now on it is not found; the batch's results under /api/batches stay.
        var found = await GetAsync(id, client, cancellationToken).ConfigureAwait(false);
        if (!found.IsSuccess)
        {
            return found.Error;
        }

        await outputs.DeleteAsync(id, cancellationToken).ConfigureAwait(false);
        return new OpenAIFileDeleted(id);
    }

    // The reader's own texts speak of its internals ("the content may have already been read by another component");
    // the client needs to know what in its body is wrong.
    private static string MultipartProblem(Exception e)
    {
        var what = e.Message switch
        {
            var m when m.Contains("Unexpected end of Stream", StringComparison.OrdinalIgnoreCase) =>
                "it ended before the closing boundary (a truncated body, a boundary that does not match the Content-Type's, or a compressed body without Content-Encoding)",
            var m when m.Contains("limit", StringComparison.OrdinalIgnoreCase) => $"a part's headers are too long ({m.TrimEnd('.')})",
            var m when m.Contains("boundary", StringComparison.OrdinalIgnoreCase) => "its parts are not separated by the Content-Type's boundary",
            _ => "it is not well-formed multipart/form-data",
        };
        return $"The body must be multipart/form-data with the parts 'purpose' and 'file'; {what}.";
    }

    private static ServiceError FileInUse(string id, string? batchId) => ServiceError.Conflict(
        "file_in_use",
        batchId is null
            ? $"File {id} was just claimed as the input of a batch being created; cancel that batch or wait until it finishes."
            : $"File {id} is the input of batch {batchId}, which is still running (or being created); cancel it or wait until it finishes.");

    private static async Task<string> ReadSmallTextAsync(Stream body, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxPurposeBytes + 1];
        var total = 0;
        int n;
        while (total < buffer.Length && (n = await body.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0)
        {
            total += n;
        }

        await body.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
        return System.Text.Encoding.UTF8.GetString(buffer, 0, Math.Min(total, MaxPurposeBytes)).Trim();
    }

    private async Task DeleteUploadedAsync(OpenAIFileObject? file, CancellationToken cancellationToken)
    {
        if (file is not null)
        {
            await files.DeleteAsync(file.Id, cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "File {FileId} uploaded: {Bytes} bytes")]
    private static partial void LogFileUploaded(ILogger logger, string fileId, long bytes);
}
