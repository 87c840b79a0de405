using System.Reflection;

namespace Cronflow.Dashboard;

/// <summary>The dashboard's script and style sheet, embedded in the assembly and served from the dashboard's own origin.</summary>
internal static class DashboardAssets
{
    private static readonly Dictionary<string, (string ContentType, byte[] Bytes)> Files = new(StringComparer.Ordinal)
    {
        ["dashboard.css"] = ("text/css; charset=utf-8", Load("dashboard.css")),
        ["dashboard.js"] = ("text/javascript; charset=utf-8", Load("dashboard.js")),
    };

    public static DashboardResponse Get(string name)
    {
        if (!Files.TryGetValue(name, out var file))
        {
            return DashboardResponse.Text(404, "No such asset.");
        }

        var response = new DashboardResponse { StatusCode = 200, ContentType = file.ContentType, Body = file.Bytes };
        response.Headers.Add(new("Cache-Control", "public, max-age=300"));
        return response;
    }

    private static byte[] Load(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Cronflow.Dashboard.Assets." + name)
            ?? throw new InvalidOperationException($"The dashboard asset {name} is not embedded.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
