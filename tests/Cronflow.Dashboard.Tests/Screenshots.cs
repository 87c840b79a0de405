using Microsoft.Playwright;

namespace Cronflow.Dashboard.Tests;

/// <summary>
/// Screenshots for the docs. Always written beside the test assembly; with <c>CRONFLOW_SCREENSHOTS=1</c> also into
/// docs/images of the repository (how the committed images were made).
/// </summary>
internal static class Screenshots
{
    public static Task SaveAsync(IPage page, string name) => SaveAsync(bytes => page.ScreenshotAsync(new() { FullPage = true, Path = bytes }), name);

    public static Task SaveAsync(ILocator locator, string name) => SaveAsync(bytes => locator.ScreenshotAsync(new() { Path = bytes }), name);

    private static async Task SaveAsync(Func<string, Task<byte[]>> shoot, string name)
    {
        var local = Path.Combine(AppContext.BaseDirectory, "screenshots", name);
        Directory.CreateDirectory(Path.GetDirectoryName(local)!);
        var bytes = await shoot(local);
        Assert.True(bytes.Length > 1000, $"The screenshot {name} is empty.");
        if (Environment.GetEnvironmentVariable("CRONFLOW_SCREENSHOTS") == "1")
        {
            var docs = Path.Combine(RepositoryRoot(), "docs", "images", name);
            Directory.CreateDirectory(Path.GetDirectoryName(docs)!);
            await File.WriteAllBytesAsync(docs, bytes);
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Cronflow.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("The repository root (Cronflow.sln) was not found.");
    }
}
