using Azure.Storage.Blobs;
using Fanout.Core.Attempts;
using Fanout.Core.Models;
using Fanout.Core.Options;
using Fanout.Core.Storage;
using Fanout.Tests.Functions.OpenAI;
using Xunit;

namespace Fanout.Tests.Attempts;

/// <summary>
/// A batch's attempt totals come from the last record of each journal, read from a short tail (every status read does
/// this): a long journal of short records, a record longer than the first tail (a pool of many members), and a journal
/// shorter than the tail all give the last record's totals.
/// </summary>
public sealed class AttemptJournalTailTests
{
    [Fact]
    public async Task The_last_record_is_found_in_a_long_journal_of_short_records_and_a_long_record_is_read_whole()
    {
        var (store, container) = Store();
        await container.CreateIfNotExistsAsync();

        // 2,000 records of one member (≈ 250 KB): the last one says 2,000 calls.
        var small = string.Concat(Enumerable.Range(1, 2000).Select(i => System.Text.Encoding.UTF8.GetString(Record(("east", i)))));
        await container.UploadBlobAsync(BatchBlobLayout.AttemptsPrefix("b1") + "w1-00001.jsonl", BinaryData.FromString(small));

        // Records of 200 members (each record well over 4 KB): the last one says 3 calls for every member.
        var members = Enumerable.Range(0, 200).Select(m => $"member-{m:D3}").ToArray();
        var large = string.Concat(Enumerable.Range(1, 3).Select(i => System.Text.Encoding.UTF8.GetString(Record([.. members.Select(m => (m, (long)i))]))));
        Assert.True(large.Length / 3 > 4 * 1024);
        await container.UploadBlobAsync(BatchBlobLayout.AttemptsPrefix("b1") + "w2-00001.jsonl", BinaryData.FromString(large));

        // One short record: shorter than any tail.
        await container.UploadBlobAsync(BatchBlobLayout.AttemptsPrefix("b1") + "w3-00001.jsonl", BinaryData.FromBytes(Record(("east", 5))));

        var totals = await store.ReadAttemptTotalsAsync("b1", CancellationToken.None);

        Assert.NotNull(totals);
        Assert.Equal(2005, totals["east"].Calls);
        Assert.Equal(201, totals.Count);
        Assert.All(members, m => Assert.Equal(3, totals[m].Calls));
    }

    private static byte[] Record(params (string Member, long Calls)[] usage)
        => AttemptJournal.Record(usage.ToDictionary(u => u.Member, u => new DeploymentUsage(Calls: u.Calls, Tier: "standard", Model: "gpt-4o-mini"), StringComparer.Ordinal));

    private static (BatchStore Store, BlobContainerClient Work) Store()
    {
        var service = new BlobServiceClient(
            new Uri("http://127.0.0.1:1/devstoreaccount1"),
            new BlobClientOptions { Transport = new Azure.Core.Pipeline.HttpClientTransport(new HttpClient(new InMemoryBlobHandler())), Retry = { MaxRetries = 0 } });
        var options = new StorageOptions();
        return (new BatchStore(service, Microsoft.Extensions.Options.Options.Create(options)), service.GetBlobContainerClient(options.WorkContainer));
    }
}
