namespace Fanout.Host.Extensions;

/// <summary>ASP.NET Core's request decompression in front of every route (after the bind guard and the key check).</summary>
internal sealed class RequestDecompressionStartupFilter : IStartupFilter
{
    /// <inheritdoc />
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseRequestDecompression();
        next(app);
    };
}
