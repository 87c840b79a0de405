using System.Net;
using System.Net.Sockets;

namespace Cronflow.Tests.Hosting;

/// <summary>Tests that change the process's environment and working directory: they run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection
{
    public const string Name = "process environment";
}

[Collection(ProcessEnvironmentCollection.Name)]
public sealed class ListenAddressTests
{
    private static IWorkflowBuilder Echo() => Workflow.Define("echo").Step("echo", ctx => ctx.Payload);

    [Fact]
    public async Task ListenOn_OutsideConfigurationNamesOtherAddresses_BindsOnlyListenOnAddresses()
    {
        var ports = Enumerable.Range(0, 5).Select(_ => FreePort()).ToArray();
        var variables = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{ports[0]}",
            ["DOTNET_URLS"] = $"http://127.0.0.1:{ports[1]}",
            ["ASPNETCORE_HTTP_PORTS"] = ports[2].ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Kestrel__Endpoints__Extra__Url"] = $"http://127.0.0.1:{ports[3]}",
        };
        var settings = Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json");
        var settingsExisted = File.Exists(settings);
        try
        {
            foreach (var (name, value) in variables)
            {
                Environment.SetEnvironmentVariable(name, value);
            }

            if (!settingsExisted)
            {
                await File.WriteAllTextAsync(settings, $$"""{ "urls": "http://0.0.0.0:{{ports[4]}}", "Kestrel": { "Endpoints": { "Json": { "Url": "http://0.0.0.0:{{ports[4]}}" } } } }""");
            }

            await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(Echo()), o => o.ListenOn("http://127.0.0.1:0"));

            var url = Assert.Single(host.Urls);
            Assert.StartsWith("http://127.0.0.1:", url, StringComparison.Ordinal);
            Assert.DoesNotContain(ports, p => url.EndsWith(":" + p.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
            foreach (var port in ports)
            {
                Assert.False(await AcceptsAsync(port), $"Port {port} from outside configuration is listening.");
            }

            using var http = new HttpClient { BaseAddress = new Uri(url) };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/health")).StatusCode);
        }
        finally
        {
            foreach (var name in variables.Keys)
            {
                Environment.SetEnvironmentVariable(name, null);
            }

            if (!settingsExisted)
            {
                File.Delete(settings);
            }
        }
    }

    [Theory]
    [InlineData("http://0.0.0.0:0")]
    [InlineData("http://[::]:0")]
    [InlineData("http://*:0")]
    [InlineData("http://+:0")]
    [InlineData("http://localhost.evil.example:0")]
    public async Task ListenOn_NonLoopbackWithoutKey_IsRefusedAtStart(string url)
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => CronflowHost.StartAsync(c => c.AddWorkflow(Echo()), o => o.ListenOn(url)));

        Assert.StartsWith($"Refusing to serve the Cronflow API on {url} without an API key", ex.Message, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
