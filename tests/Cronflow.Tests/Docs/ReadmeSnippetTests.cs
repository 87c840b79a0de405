namespace Cronflow.Tests.Docs;

public sealed class ReadmeSnippetTests
{
    private const string Section = "## Add Cronflow to your app";

    [Fact]
    public void AddToYourAppSnippet_EqualsCompiledRegion()
    {
        var root = RepositoryRoot();
        var readme = File.ReadAllLines(Path.Combine(root, "README.md"));
        var source = File.ReadAllLines(Path.Combine(root, "tests", "Cronflow.Tests", "Docs", "ReadmeApp.cs"));

        var shown = CodeBlockAfter(readme, Section);
        var compiled = Dedent(Between(source, "// readme:add-to-your-app", "// readme:end"));

        Assert.NotEmpty(compiled);
        Assert.Equal(compiled, shown);
    }

    private static List<string> CodeBlockAfter(string[] lines, string heading)
    {
        var start = Array.FindIndex(lines, l => l.Trim() == heading);
        Assert.True(start >= 0, $"README.md has no '{heading}' section.");
        var open = Array.FindIndex(lines, start, l => l.StartsWith("```csharp", StringComparison.Ordinal));
        var close = Array.FindIndex(lines, open + 1, l => l.StartsWith("```", StringComparison.Ordinal));
        return [.. lines[(open + 1)..close]];
    }

    private static List<string> Between(string[] lines, string startMarker, string endMarker)
    {
        var start = Array.FindIndex(lines, l => l.Trim() == startMarker);
        var end = Array.FindIndex(lines, l => l.Trim() == endMarker);
        return [.. lines[(start + 1)..end]];
    }

    private static List<string> Dedent(List<string> lines)
    {
        var indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return [.. lines.Select(l => l.Trim().Length == 0 ? "" : l[indent..])];
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Cronflow.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (Cronflow.sln) was not found above " + AppContext.BaseDirectory);
    }
}
