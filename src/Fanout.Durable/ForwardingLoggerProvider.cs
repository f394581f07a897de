using Microsoft.Extensions.Logging;

namespace Fanout.Durable;

/// <summary>Sends the client endpoint host's logs to the application's logger factory, without owning it.</summary>
internal sealed class ForwardingLoggerProvider(ILoggerFactory target) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => target.CreateLogger(categoryName);

    public void Dispose()
    {
    }
}
