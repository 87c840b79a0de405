using Cronflow.Hosting;

namespace Cronflow.Tests.Engine;

/// <summary>Versioning: a run started with another definition fingerprint.</summary>
public sealed class VersioningTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Versioning_RunStartedWithOtherFingerprint_FailsWithVersionMismatch()
    {
        await using var host = await CronflowHost.StartAsync(c => c.AddWorkflow(Workflow.Define("versioned").Step("a", ctx => 1)));
        var client = (EmbeddedCronflowClient)host.Client;

        var runId = await client.StartAsync(new RunInput { WorkflowId = "versioned", Fingerprint = "0123456789abcdef" }, null);
        var run = await client.WaitForRunAsync(runId, Wait);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(ErrorCodes.VersionMismatch, run.Error!.Code);
        Assert.Equal("Cronflow.WorkflowVersionMismatchException", run.Error.ErrorType);
        Assert.Contains("the run started with definition 0123456789abcdef", run.Error.Message, StringComparison.Ordinal);
    }
}
