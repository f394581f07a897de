using System.Diagnostics;
using Azure.Storage.Blobs;
using Fanout.IntegrationTests.Infrastructure;
using Fanout.LocalDev;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.IntegrationTests.Durable;

/// <summary>One Azurite per data folder: adopted when alive, never started twice, never left without a host for long.</summary>
public sealed class EmbeddedAzuriteTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "fanout-embedded-azurite-" + Guid.NewGuid().ToString("N"));
    private string _repoRoot = string.Empty;

    public async Task InitializeAsync()
    {
        _repoRoot = RepoRoot.Find(AppContext.BaseDirectory)!;
        await AzuriteInstaller.EnsureInstalledAsync(_repoRoot);
    }

    public Task DisposeAsync() => AzuriteWatch.RemoveAsync(_dataDirectory);

    [Fact]
    public async Task Two_hosts_starting_on_one_folder_at_once_share_one_azurite()
    {
        var starts = await Task.WhenAll(
            Enumerable.Range(0, 3).Select(_ => Task.Run(() => AzuriteProcess.StartAsync(_dataDirectory, _repoRoot, null, CancellationToken.None))));
        try
        {
            Assert.Single(starts.Select(s => s.ProcessId).Distinct());
            Assert.Equal(1, starts.Count(s => !s.Adopted));
            Assert.Single(AzuriteWatch.Processes(_dataDirectory));

            // Data written through one handle is seen through another: it is the same storage.
            var container = new BlobServiceClient(starts[0].ConnectionString).GetBlobContainerClient("shared");
            await container.CreateIfNotExistsAsync();
            await container.UploadBlobAsync("a.txt", BinaryData.FromString("one"));
            var seen = await new BlobServiceClient(starts[2].ConnectionString).GetBlobContainerClient("shared").GetBlobClient("a.txt").DownloadContentAsync();
            Assert.Equal("one", seen.Value.Content.ToString());

            // It keeps running while any owner remains, and stops with the last one.
            await starts[0].DisposeAsync();
            await starts[1].DisposeAsync();
            Assert.Single(AzuriteWatch.Processes(_dataDirectory));
        }
        finally
        {
            foreach (var start in starts)
            {
                await start.DisposeAsync();
            }
        }

        Assert.True(await AzuriteWatch.WaitUntilNoneAsync(_dataDirectory, TimeSpan.FromSeconds(20)));
        Assert.False(File.Exists(Path.Combine(_dataDirectory, AzuriteRecord.FileName)));
    }

    [Fact]
    public async Task A_stale_record_naming_another_process_is_ignored_and_that_process_is_left_alone()
    {
        Directory.CreateDirectory(_dataDirectory);
        using var stranger = Process.Start(new ProcessStartInfo("sleep", "120") { UseShellExecute = false })!;
        try
        {
            // The pid is alive, but it is not an Azurite: a record left by a crash long ago, its pid reused since.
            new AzuriteRecord(stranger.Id, stranger.StartTime.ToUniversalTime(), 1, 2, 3, 4).Write(_dataDirectory);
            await using var azurite = await AzuriteProcess.StartAsync(_dataDirectory, _repoRoot, null, CancellationToken.None);

            Assert.False(azurite.Adopted);
            Assert.NotEqual(stranger.Id, azurite.ProcessId);
            Assert.False(stranger.HasExited);
            Assert.Equal(azurite.ProcessId, AzuriteRecord.Read(_dataDirectory)!.ProcessId);

            // The same pid with another start time is not the recorded process either.
            Assert.Equal(RecordedProcessState.Foreign, ProcessIdentity.Identify(azurite.ProcessId, DateTime.UtcNow.AddHours(-1), AzuriteProcess.ScriptName));
            Assert.Equal(RecordedProcessState.Foreign, ProcessIdentity.Identify(stranger.Id, stranger.StartTime.ToUniversalTime(), AzuriteProcess.ScriptName));
        }
        finally
        {
            stranger.Kill();
            await stranger.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task A_hung_azurite_is_stopped_by_its_pid_and_replaced()
    {
        var first = await AzuriteProcess.StartAsync(_dataDirectory, _repoRoot, null, CancellationToken.None);
        var hung = first.ProcessId;
        Assert.True(Signals.Send(hung, 19)); // SIGSTOP: alive, but answers nothing
        try
        {
            await using var second = await AzuriteProcess.StartAsync(_dataDirectory, _repoRoot, null, CancellationToken.None);
            Assert.False(second.Adopted);
            Assert.NotEqual(hung, second.ProcessId);
            Assert.Null(ProcessIdentity.StartTimeUtc(hung));
            Assert.Single(AzuriteWatch.Processes(_dataDirectory));
        }
        finally
        {
            _ = Signals.Send(hung, 18); // SIGCONT, in case it still runs
            await first.DisposeAsync();
        }
    }

    [Fact]
    public async Task An_azurite_whose_host_died_stops_after_its_grace_and_keeps_its_data()
    {
        // The host owns the Azurite it started and is killed with SIGKILL alone, as a crashed host is.
        var host = await HostProcess.StartAsync(new Dictionary<string, string>
        {
            ["Fanout:Host:DataDirectory"] = _dataDirectory,
            ["Fanout:Host:Azurite:OrphanGrace"] = "00:00:01",
            ["Fanout:Host:WatchBlobs"] = "false",
            ["backend"] = "memory",
        });
        try
        {
            var azurite = AzuriteRecord.Read(_dataDirectory)!;
            var connectionString =
                $"DefaultEndpointsProtocol=http;AccountName={AzuriteProcess.AccountName};AccountKey={AzuriteProcess.AccountKey};" +
                $"BlobEndpoint=http://127.0.0.1:{azurite.BlobPort}/{AzuriteProcess.AccountName};";
            var container = new BlobServiceClient(connectionString).GetBlobContainerClient("kept");
            await container.CreateIfNotExistsAsync();
            await container.UploadBlobAsync("b.txt", BinaryData.FromString("still here"));
            var simulator = System.Text.RegularExpressions.Regex.Match(host.Output, @"SIMULATOR at (http://\S+?)/? ").Groups[1].Value;
            Assert.StartsWith("http://127.0.0.1:", simulator, StringComparison.Ordinal);
            await host.KillHostOnlyAsync();

            // The embedded simulator lives inside the host process: it is gone with it.
            using (var probe = new HttpClient())
            {
                await Assert.ThrowsAsync<HttpRequestException>(() => probe.GetAsync(simulator + "/stats"));
            }

            var stopwatch = Stopwatch.StartNew();
            Assert.True(await ProcessIdentity.WaitForExitAsync(azurite.ProcessId, TimeSpan.FromSeconds(30)));
            output.WriteLine($"Azurite stopped {stopwatch.Elapsed.TotalSeconds:F1} s after its only host was killed (grace 1 s)");
        }
        finally
        {
            await host.DisposeAsync();
        }

        // Its last writes were saved on the way out: a new Azurite on the folder serves them.
        await using var next = await AzuriteProcess.StartAsync(_dataDirectory, _repoRoot, null, CancellationToken.None);
        var kept = await new BlobServiceClient(next.ConnectionString).GetBlobContainerClient("kept").GetBlobClient("b.txt").DownloadContentAsync();
        Assert.Equal("still here", kept.Value.Content.ToString());
    }
}
