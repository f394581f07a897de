using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Fanout.Core.OpenAICompat;

/// <summary>Registers the OpenAI-compatible Files and Batches services (singletons, like the batch store they read).</summary>
public static class OpenAICompatServiceCollectionExtensions
{
    /// <summary>The files container, its stores and the two services the hosts map.</summary>
    public static IServiceCollection AddOpenAICompat(this IServiceCollection services)
    {
        services.TryAddSingleton<OpenAIFilesContainer>();
        services.TryAddSingleton<OpenAIFileStore>();
        services.TryAddSingleton<OpenAIBatchRecords>();
        services.TryAddSingleton<OpenAIBatchOutputFiles>();
        services.TryAddSingleton<OpenAIBatchView>();
        services.TryAddSingleton<OpenAIFileService>();
        services.TryAddSingleton<OpenAIBatchService>();
        return services;
    }
}
