using Cronflow.Azurite.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Azurite.Tests;

/// <summary>Resume tokens on Azure Storage: resumable as soon as <c>OnPause</c> has them.</summary>
public sealed class ResumeTokenTests : IAsyncLifetime
{
    private readonly string _hub = Storage.NewTaskHub();
    private readonly ClientHolder _holder = new();
    private CronflowHost _host = null!;

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable(AzuriteFactAttribute.Variable) is null)
        {
            return;
        }

        _host = await CronflowHost.StartAsync(
            c =>
            {
                c.Services.AddSingleton(_holder);
                c.AddWorkflow(Workflow.Define("auto-approve")
                    .HumanInTheLoop(h =>
                    {
                        h.Name = "approval";
                        h.OnPause = async (ctx, token) =>
                            await ctx.Services.GetRequiredService<ClientHolder>().Client!.ResumeAsync(token, new { approved = true, approvedBy = "robot" });
                    })
                    .Step("after", ctx => ctx.Last["approvedBy"].As<string>()));
            },
            o => o.UseAzurite(_hub));
        _holder.Client = _host.Client;
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
            await Storage.DeleteTaskHubAsync(_hub);
        }
    }

    [AzuriteFact]
    public async Task OnPause_ResumesWithItsTokenAtOnce_RunCompletes()
    {
        var runs = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            runs.Add(await _host.Client.TriggerAsync("auto-approve", new { n = i }));
        }

        foreach (var runId in runs)
        {
            var run = await _host.Client.WaitForRunAsync(runId, TimeSpan.FromSeconds(60));
            Assert.Equal(RunStatus.Completed, run.Status);
            Assert.Equal("robot", run.Output.As<string>());
            Assert.Equal(StepStatus.Completed, run.Steps.Single(s => s.Name == "approval").Status);
        }
    }

    private sealed class ClientHolder
    {
        public ICronflowClient? Client { get; set; }
    }
}
