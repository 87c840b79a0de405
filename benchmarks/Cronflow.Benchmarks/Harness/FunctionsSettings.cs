using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Benchmarks.Harness;

/// <summary>
/// Cronflow as a Functions app runs it, from the Functions library's own registration (<c>AddCronflowFunctions</c>):
/// its options, orchestrator and step activity, and the output store it decides on from the app settings. The benchmark
/// runs in memory, so where the library would store outputs in the app's blob container, an in-process store stands in
/// for the container (the same references travel either way).
/// </summary>
internal static class FunctionsSettings
{
    /// <summary>The app settings of the storage connection that a Functions app runs with.</summary>
    public static IReadOnlyList<(string Name, Dictionary<string, string?> AppSettings)> Apps { get; } =
    [
        ("Functions app, AzureWebJobsStorage connection string", new() { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true" }),
        ("Functions app, identity-based AzureWebJobsStorage (as infra/ deploys it)", new()
        {
            ["AzureWebJobsStorage:accountName"] = "cronflowbench",
            ["AzureWebJobsStorage:credential"] = "managedidentity",
        }),
    ];

    /// <summary>Registers Cronflow as the Functions library does for an app with <paramref name="appSettings"/>; says whether it has an output store.</summary>
    public static (Action<IServiceCollection> Register, bool HasStore) For(Dictionary<string, string?> appSettings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(appSettings).Build();
        bool hasStore;
        using (var app = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration).AddCronflowFunctions(BenchWorkflows.Register).BuildServiceProvider())
        {
            hasStore = app.GetService<IStepOutputStore>() is not null;
        }

        return (services =>
        {
            if (hasStore)
            {
                services.AddSingleton<IStepOutputStore>(new InProcessStepOutputStore());
            }

            services.AddSingleton<IConfiguration>(configuration);
            services.AddCronflowFunctions(BenchWorkflows.Register);
        }, hasStore);
    }
}
