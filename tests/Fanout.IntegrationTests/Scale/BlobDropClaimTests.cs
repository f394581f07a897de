using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Fanout.Durable;
using Fanout.Host.Scale;
using Fanout.IntegrationTests.Infrastructure;
using Xunit;

namespace Fanout.IntegrationTests.Scale;

/// <summary>The blob-drop claim on a real Azurite, with a clock the test moves (the staleness rule reads it).</summary>
public sealed class BlobDropClaimTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task A_claim_is_granted_once_kept_by_its_owner_and_taken_over_only_once_stale()
    {
        var service = new BlobServiceClient(azurite.ConnectionString);
        var input = service.GetBlobContainerClient(AzuriteFixture.UniqueContainerName("in"));
        var work = service.GetBlobContainerClient(AzuriteFixture.UniqueContainerName("work"));
        await input.CreateAsync();
        await work.CreateAsync();
        var clock = new ShiftedClock();

        await input.UploadBlobAsync("mine.jsonl", BinaryData.FromString("{}\n"));
        await input.UploadBlobAsync("theirs.jsonl", BinaryData.FromString("{}\n"));
        var mine = await ListAsync(input, "mine.jsonl");
        var theirs = await ListAsync(input, "theirs.jsonl");

        // This process claims a blob, and a second look (a start that failed and is tried again) keeps it.
        Assert.True(await BlobDropClaim.TryClaimAsync(work, mine, clock, CancellationToken.None));
        Assert.True(await BlobDropClaim.TryClaimAsync(work, mine, clock, CancellationToken.None));

        // Another worker's fresh claim is respected ...
        var claim = work.GetBlobClient(BlobDropClaim.ClaimName(theirs.Name, theirs.Properties.ETag));
        await claim.UploadAsync(BinaryData.Empty, new BlobUploadOptions { Metadata = new Dictionary<string, string> { ["owner"] = "other-host-1" } });
        Assert.False(await BlobDropClaim.TryClaimAsync(work, theirs, clock, CancellationToken.None));
        clock.Shift = BlobDropClaim.StaleAfter - TimeSpan.FromSeconds(30);
        Assert.False(await BlobDropClaim.TryClaimAsync(work, theirs, clock, CancellationToken.None));

        // ... until it is stale (its owner died before starting the batch): then this process takes it over.
        clock.Shift = BlobDropClaim.StaleAfter + TimeSpan.FromSeconds(30);
        Assert.True(await BlobDropClaim.TryClaimAsync(work, theirs, clock, CancellationToken.None));
        var owner = (await claim.GetPropertiesAsync()).Value.Metadata["owner"];
        Assert.Equal(WorkerIdentity.Default, owner);

        // A new version of a blob is a new drop with a claim of its own.
        await input.GetBlobClient("theirs.jsonl").UploadAsync(BinaryData.FromString("{}\n{}\n"), overwrite: true);
        var changed = await ListAsync(input, "theirs.jsonl");
        Assert.NotEqual(theirs.Properties.ETag, changed.Properties.ETag);
        Assert.NotEqual(BlobDropClaim.ClaimName(theirs.Name, theirs.Properties.ETag), BlobDropClaim.ClaimName(changed.Name, changed.Properties.ETag));
        clock.Shift = TimeSpan.Zero;
        Assert.True(await BlobDropClaim.TryClaimAsync(work, changed, clock, CancellationToken.None));

        await input.DeleteAsync();
        await work.DeleteAsync();
    }

    private static async Task<BlobItem> ListAsync(BlobContainerClient container, string name)
    {
        await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { Prefix = name }))
        {
            return item;
        }

        throw new InvalidOperationException($"{name} is not listed");
    }

    private sealed class ShiftedClock : TimeProvider
    {
        public TimeSpan Shift { get; set; }

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Shift;
    }
}
