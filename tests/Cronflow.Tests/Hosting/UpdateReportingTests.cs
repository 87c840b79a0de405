using Cronflow.Hosting;
using DurableTask.Core;
using Microsoft.DurableTask.Converters;

namespace Cronflow.Tests.Hosting;

public sealed class UpdateReportingTests
{
    // The converter the embedded engine writes custom status with (ShimRegistration).
    private static readonly JsonDataConverter Converter = new(CronflowJson.Options);

    [Theory]
    [InlineData(OrchestrationStatus.Completed)]
    [InlineData(OrchestrationStatus.Failed)]
    [InlineData(OrchestrationStatus.Terminated)]
    public void MayHaveFinished_OrchestrationEnded_IsTrue(OrchestrationStatus status) =>
        Assert.True(UpdateReportingOrchestrationService.MayHaveFinished(status, null));

    [Fact]
    public void MayHaveFinished_ProgressWithDecidedResult_IsTrue()
    {
        var progress = new RunProgress { Result = new RunResult { Status = RunStatus.Completed } };

        Assert.True(UpdateReportingOrchestrationService.MayHaveFinished(OrchestrationStatus.Running, Converter.Serialize(progress)));
    }

    [Theory]
    [InlineData(OrchestrationStatus.Running)]
    [InlineData(OrchestrationStatus.ContinuedAsNew)]
    [InlineData(OrchestrationStatus.Pending)]
    public void MayHaveFinished_ProgressOnly_IsFalse(OrchestrationStatus status)
    {
        var progress = new RunProgress { WaitingFor = "approval" };

        Assert.False(UpdateReportingOrchestrationService.MayHaveFinished(status, Converter.Serialize(progress)));
    }
}
