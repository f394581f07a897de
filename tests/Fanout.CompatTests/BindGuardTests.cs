using System.Diagnostics;
using Fanout.Host.Extensions;
using Fanout.Host.Security;
using Fanout.LocalDev;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Xunit;

namespace Fanout.CompatTests;

/// <summary>
/// The no-key guard (API.md, "Access keys"): whatever way an address beyond loopback is configured, a host without
/// <c>Fanout:Host:ApiKey</c> exits with code 2 and one line naming the setting, before it serves anything.
/// </summary>
public sealed class BindGuardTests
{
    public static TheoryData<string, string, string> Ways => new()
    {
        { "--urls", "--urls=http://0.0.0.0:{0}", string.Empty },
        { "urls key", "--urls=http://+:{0}", string.Empty },
        { "ASPNETCORE_URLS", string.Empty, "ASPNETCORE_URLS=http://0.0.0.0:{0}" },
        { "Fanout:Host:Urls, IPv6 any", "--Fanout:Host:Urls=http://[::]:{0}", string.Empty },
        { "Kestrel:Endpoints argument", "--Kestrel:Endpoints:Http:Url=http://0.0.0.0:{0}", string.Empty },
        { "Kestrel:Endpoints environment", string.Empty, "Kestrel__Endpoints__Api__Url=http://*:{0}" },
    };

    [Theory]
    [MemberData(nameof(Ways))]
    public async Task A_host_told_to_listen_beyond_loopback_without_a_key_exits_with_code_2(string way, string argument, string environment)
    {
        var port = FreePorts.GetLoopbackPort();
        var (exitCode, output) = await RunHostAsync(
            argument.Length > 0 ? string.Format(System.Globalization.CultureInfo.InvariantCulture, argument, port) : null,
            environment.Length > 0 ? string.Format(System.Globalization.CultureInfo.InvariantCulture, environment, port) : null);

        Assert.True(exitCode == 2, $"{way}: exit code {exitCode}\n{output}");
        Assert.Contains("Fanout:Host:ApiKey", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal); // one line, no stack trace
    }

    [Theory]
    [InlineData("http://[::]:5000")]
    [InlineData("http://0.0.0.0:5000")]
    [InlineData("http://myhost.example:5000")]
    public async Task The_guard_checks_the_addresses_the_server_bound_and_holds_requests_until_then(string bound)
    {
        var guard = new BindGuard(new BoundServer("http://127.0.0.1:5001", bound), Microsoft.Extensions.Options.Options.Create(new FanoutHostOptions()));

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => guard.StartedAsync(CancellationToken.None));

        Assert.Contains(bound, e.Message, StringComparison.Ordinal);
        Assert.False(await guard.Verdict); // the gate drops every request
    }

    [Fact]
    public async Task Loopback_binds_and_keyed_binds_pass_the_guard()
    {
        var loopback = new BindGuard(new BoundServer("http://127.0.0.1:5001", "http://localhost:5002", "http://[::1]:5003"), Microsoft.Extensions.Options.Options.Create(new FanoutHostOptions()));
        var keyed = new BindGuard(
            new BoundServer("http://[::]:5000"),
            Microsoft.Extensions.Options.Options.Create(new FanoutHostOptions { ApiKey = "k" }));

        await loopback.StartedAsync(CancellationToken.None);
        await keyed.StartedAsync(CancellationToken.None);

        Assert.True(await loopback.Verdict);
        Assert.True(await keyed.Verdict);
    }

    private static async Task<(int ExitCode, string Output)> RunHostAsync(string? argument, string? environment)
    {
        var repoRoot = RepoRoot.Find(AppContext.BaseDirectory) ?? throw new InvalidOperationException("No repository root.");
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var hostDir = Path.Combine(repoRoot, "src", "Fanout.Host", "bin", configuration, "net10.0");
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = hostDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(hostDir, "Fanout.Host.dll"));

        // Storage that is never reached: the guard must stop the host first.
        info.ArgumentList.Add("--Fanout:Storage:ConnectionString=UseDevelopmentStorage=true;DevelopmentStorageProxyUri=http://127.0.0.1:1");
        info.ArgumentList.Add("--Fanout:OpenAI:Endpoint=http://127.0.0.1:1/");
        if (argument is not null)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Remove("Fanout__Host__ApiKey");
        if (environment is not null)
        {
            var (key, value) = (environment[..environment.IndexOf('=', StringComparison.Ordinal)], environment[(environment.IndexOf('=', StringComparison.Ordinal) + 1)..]);
            info.Environment[key] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("The host did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    private sealed class BoundServer : IServer
    {
        public BoundServer(params string[] addresses)
        {
            var feature = new ServerAddressesFeature();
            foreach (var address in addresses)
            {
                feature.Addresses.Add(address);
            }

            Features.Set<IServerAddressesFeature>(feature);
        }

        public IFeatureCollection Features { get; } = new FeatureCollection();

        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
            where TContext : notnull => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose()
        {
        }
    }
}
