using Microsoft.Extensions.FileProviders;

namespace Fanout.Host.Web;

/// <summary>The web page at <c>/</c>: static files copied next to the host's binaries, no build step, no CDN.</summary>
public static class WebPageExtensions
{
    /// <summary>Serves <c>Web/</c> (index.html, app.js, app.css) at the root. They hold no data: every figure comes from the API.</summary>
    public static WebApplication UseFanoutWebPage(this WebApplication app)
    {
        var root = Path.Combine(AppContext.BaseDirectory, "Web");
        if (!Directory.Exists(root))
        {
            return app;
        }

        app.UseFileServer(new FileServerOptions { FileProvider = new PhysicalFileProvider(root), RequestPath = string.Empty });
        return app;
    }
}
