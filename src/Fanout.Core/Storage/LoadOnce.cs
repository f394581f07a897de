using System.Collections.Concurrent;

namespace Fanout.Core.Storage;

/// <summary>Loads of keyed values that run once per key and are shared by concurrent callers.</summary>
internal static class LoadOnce
{
    /// <summary>The cached load of <paramref name="key"/>, started once; a load that failed or was cancelled is started again.</summary>
    public static Task<T> GetOrLoad<T>(ConcurrentDictionary<string, Task<T>> cache, string key, Func<string, Task<T>> load)
    {
        var task = cache.GetOrAdd(key, load);
        if (task.IsFaulted || task.IsCanceled)
        {
            cache.TryRemove(key, out _);
            task = cache.GetOrAdd(key, load);
        }

        return task;
    }
}
