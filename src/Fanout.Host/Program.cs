using Fanout.Host.Apis;
using Fanout.Host.Cli;
using Fanout.Host.Extensions;
using Fanout.Host.Scale;
using Fanout.Host.Web;

EmbeddedServices? embedded = null;
try
{
    if (HostCommandLine.Handles(args))
    {
        return await HostCommandLine.InvokeAsync(args);
    }

    var builder = WebApplication.CreateBuilder(args);
    embedded = await builder.AddFanoutHostAsync(Console.Out, CancellationToken.None);
    var app = builder.Build();
    app.MapBatchApi();
    app.MapOpenAIBatchApi();
    app.MapWorkerApi();
    app.UseFanoutWebPage();
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (RunCommand.IsConfigurationError(e))
{
    // Bad configuration: one clear line naming the setting, no stack trace.
    await Console.Error.WriteLineAsync($"Configuration error: {e.Message}");
    return 2;
}
finally
{
    // Azurite is a child process: never leave it behind, whatever happened.
    if (embedded is not null)
    {
        await embedded.DisposeAsync();
    }
}

/// <summary>Entry point (public so tests can reference the assembly's program).</summary>
public partial class Program;
