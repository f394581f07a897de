namespace Fanout.LocalDev;

/// <summary>Finds the repository checkout (the folder holding <c>Functions.sln</c>), for tools and tests run from a source tree.</summary>
public static class RepoRoot
{
    /// <summary>The file that marks the repository's root.</summary>
    public const string MarkerFileName = "Functions.sln";

    /// <summary>Walks up from <paramref name="startDirectory"/> to the folder holding Functions.sln; null if none.</summary>
    public static string? Find(string startDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(startDirectory);
        for (DirectoryInfo? dir = new(Path.GetFullPath(startDirectory)); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, MarkerFileName)))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    /// <summary>The checkout above the current directory, else the one above the app's folder; null when neither is in one.</summary>
    public static string? FindFromHere() => Find(Directory.GetCurrentDirectory()) ?? Find(AppContext.BaseDirectory);
}
