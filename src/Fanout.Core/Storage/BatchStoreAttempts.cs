using System.Text;
using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Fanout.Core.Attempts;
using Fanout.Core.Models;

namespace Fanout.Core.Storage;

/// <summary>The attempt journals of a batch (<see cref="AttemptLedger"/>): append blobs under <c>{id}/attempts/</c> of the work container.</summary>
public sealed partial class BatchStore
{
    /// <summary>
    /// How much of a journal's tail is read to find its last record, first and then (a record longer than that: a pool of
    /// many members) again. A record is a few hundred bytes per member; every append of an append blob is a block that
    /// Azurite keeps apart, so reading 64 KB meant opening and reading hundreds of blocks on every status read.
    /// </summary>
    private static readonly int[] JournalTails = [4 * 1024, 64 * 1024];

    /// <summary>Appends one record (a whole line) to journal <paramref name="blobName"/>, creating it first when <paramref name="create"/>.</summary>
    public async Task AppendAttemptRecordAsync(string blobName, byte[] record, bool create, CancellationToken cancellationToken)
    {
        var blob = _work.GetAppendBlobClient(blobName);
        if (create)
        {
            await blob.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        using var content = new MemoryStream(record, writable: false);
        await blob.AppendBlockAsync(content, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The attempts made for <paramref name="batchId"/> so far, per pool member, by every process that worked on it: the
    /// sum of the last record of each journal (each record holds its journal's running totals). Null when none was made.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, DeploymentUsage>?> ReadAttemptTotalsAsync(string batchId, CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<string, DeploymentUsage>? sum = null;
        var journals = new List<(string Name, long Length)>();
        try
        {
            await foreach (var item in _work.GetBlobsAsync(new GetBlobsOptions { Prefix = BatchBlobLayout.AttemptsPrefix(batchId) }, cancellationToken).ConfigureAwait(false))
            {
                journals.Add((item.Name, item.Properties.ContentLength ?? 0));
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // No work container yet (a batch just created, before its lines were prepared): no attempt was made.
            return null;
        }

        var lasts = await Task.WhenAll(journals.Select(j => ReadLastRecordAsync(j.Name, j.Length, cancellationToken))).ConfigureAwait(false);
        foreach (var last in lasts)
        {
            sum = DeploymentUsage.Merge(sum, last);
        }

        return sum;
    }

    private async Task<IReadOnlyDictionary<string, DeploymentUsage>?> ReadLastRecordAsync(string blobName, long length, CancellationToken cancellationToken)
    {
        if (length == 0)
        {
            return null;
        }

        BinaryData tail;
        foreach (var size in JournalTails)
        {
            var from = Math.Max(0, length - size);
            try
            {
                var response = await _work.GetBlobClient(blobName).DownloadContentAsync(
                    new BlobDownloadOptions { Range = new HttpRange(from, length - from) }, cancellationToken).ConfigureAwait(false);
                tail = response.Value.Content;
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                return null;
            }

            if (from == 0 || HoldsWholeRecord(tail.ToMemory().Span))
            {
                return AttemptJournal.LastRecord(tail.ToMemory().Span);
            }
        }

        // A record longer than the longest tail read: read the whole journal.
        tail = (await _work.GetBlobClient(blobName).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content;
        return AttemptJournal.LastRecord(tail.ToMemory().Span);
    }

    /// <summary>Whether a tail read from the middle of a journal holds a whole last record (a newline before its final one).</summary>
    private static bool HoldsWholeRecord(ReadOnlySpan<byte> tail)
    {
        var first = tail.IndexOf((byte)'\n');
        return first >= 0 && first < tail.Length - 1;
    }
}
