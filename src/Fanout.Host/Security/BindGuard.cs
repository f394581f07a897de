using Fanout.Host.Extensions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Fanout.Host.Security;

/// <summary>
/// The no-key guard on the addresses the server actually bound (<see cref="IServerAddressesFeature"/> once it has
/// started), whatever configured them: <c>urls</c>, <c>ASPNETCORE_URLS</c>, <c>--urls</c>, <c>Kestrel:Endpoints:*</c>,
/// code. A configuration-only check missed <c>--Kestrel:Endpoints:Http:Url=http://0.0.0.0:PORT</c>. Until the check
/// has passed every request waits (and is dropped when it fails), so nothing is served from an unguarded bind; a
/// failed check stops the host with exit code 2 and one line naming the setting.
/// </summary>
public sealed class BindGuard(IServer server, IOptions<FanoutHostOptions> host) : IHostedLifecycleService
{
    private readonly TaskCompletionSource<bool> verdict = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True once the bound addresses were found safe; false when they were not (the host is stopping).</summary>
    public Task<bool> Verdict => verdict.Task;

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        try
        {
            AccessKeys.EnsureSafeAddresses(host.Value, addresses);
        }
        catch (OptionsValidationException)
        {
            verdict.TrySetResult(false);
            throw; // Host.StartAsync fails with it: Program prints the line and exits with code 2
        }

        verdict.TrySetResult(true);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        verdict.TrySetResult(false);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The first middleware: a request waits for the verdict, and is dropped unanswered when it is unsafe.</summary>
    internal sealed class StartupFilter(BindGuard guard) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, nextMiddleware) =>
            {
                var verdict = guard.Verdict;
                if (!(verdict.IsCompletedSuccessfully ? verdict.Result : await verdict.WaitAsync(context.RequestAborted).ConfigureAwait(false)))
                {
                    context.Abort();
                    return;
                }

                await nextMiddleware(context).ConfigureAwait(false);
            });
            next(app);
        };
    }
}
