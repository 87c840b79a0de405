using Cronflow.Samples;
using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Tests.Samples;

/// <summary>
/// Runs each sample workflow on the in-memory engine with tiny latencies. Where the outcome depends on which branch
/// answers first (races), the branches meant to lose are given a wide margin; no assertion depends on elapsed time.
/// </summary>
public sealed class SampleWorkflowTests
{
    private static readonly TimeSpan Tiny = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan Slow = TimeSpan.FromMilliseconds(600);

    private static Action<TestOptions> Setup(
        Action<SampleLatency>? latency = null,
        Action<SampleFaults>? faults = null,
        Action<IServiceCollection>? services = null) =>
        o => o.Services(s =>
        {
            s.AddSampleServices(
                l =>
                {
                    l.SetAll(Tiny);
                    latency?.Invoke(l);
                },
                faults);
            services?.Invoke(s);
        });

    private static string[] StepNames(TestRun run) => [.. run.Steps.Select(s => s.Name)];

    // ---- data fetching --------------------------------------------------------------------------

    [Fact]
    public async Task DataFetching_FourSources_CombinesInOrder()
    {
        var run = await SampleWorkflows.DataFetching.TestAsync(
            new DataFetchingRequest("u-2", "o-1002", ["p-3", "p-1", "p-2"], "pay-5002"), Setup());

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(["fetch-all", "combine-data"], StepNames(run));
        var block = run.Step("fetch-all").Output!;
        Assert.Equal(4, block.Count);
        Assert.Equal("u-2", block[0]["id"].As<string>());
        Assert.Equal("o-1002", block[1]["id"].As<string>());
        Assert.Equal("pay-5002", block[3]["id"].As<string>());

        var combined = run.Output.As<CombinedData>();
        Assert.True(combined.Combined);
        Assert.Equal(SampleData.Users.Single(u => u.Id == "u-2"), combined.User);
        Assert.Equal("o-1002", combined.Order.Id);
        Assert.Equal(19.90m, combined.Order.Amount);
        Assert.Equal(["p-3", "p-1", "p-2"], combined.Products.Select(p => p.Id));
        Assert.Equal(SampleData.Payments.Single(p => p.Id == "pay-5002"), combined.Payment);
    }

    [Fact]
    public async Task DataFetching_UnknownUser_FailsNamingTheBranch()
    {
        var run = await SampleWorkflows.DataFetching.TestAsync(
            new DataFetchingRequest("u-999", "o-1001", ["p-1"], "pay-5001"), Setup());

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.NotNull(run.Error);
        Assert.Equal("fetch-all[0]", run.Error.Step);
        Assert.Contains("u-999", run.Error.Message, StringComparison.Ordinal);
        Assert.Equal(StepStatus.Failed, run.Error.Branches![0].Status);
        Assert.Equal(StepStatus.Failed, run.Step("fetch-all").Status);
        Assert.DoesNotContain("combine-data", StepNames(run));
    }

    // ---- API calls ------------------------------------------------------------------------------

    [Fact]
    public async Task ApiCalls_ConsistentData_ValidatesWithoutIssues()
    {
        var run = await SampleWorkflows.ApiCalls.TestAsync(new ApiCallsRequest("u-1", "o-1001", ["p-1", "p-3"]), Setup());

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(["call-apis", "validate-data"], StepNames(run));
        var validation = run.Output.As<DataValidation>();
        Assert.True(validation.Valid);
        Assert.Equal(("u-1", "o-1001"), (validation.UserId, validation.OrderId));
        Assert.Empty(validation.Issues);
    }

    [Fact]
    public async Task ApiCalls_ForeignOrderShortOfStock_ListsBothIssues()
    {
        var run = await SampleWorkflows.ApiCalls.TestAsync(new ApiCallsRequest("u-2", "o-1003", ["p-4"]), Setup());

        Assert.Equal(RunStatus.Completed, run.Status);
        var validation = run.Output.As<DataValidation>();
        Assert.False(validation.Valid);
        Assert.Equal(
            ["Order 'o-1003' belongs to 'u-3', not 'u-2'.", "Product 'p-4': 5 ordered, 2 available."],
            validation.Issues);
    }

    // ---- database operations --------------------------------------------------------------------

    [Fact]
    public async Task DatabaseOperations_ThreeWrites_LogsCompletionWithWritesInBranchOrder()
    {
        var database = new SampleDatabase(new SampleLatency().SetAll(Tiny));

        var run = await SampleWorkflows.DatabaseOperations.TestAsync(
            new DatabaseOperationsRequest("u-1", "o-1001"), Setup(services: s => s.AddSingleton(database)));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(["write-records", "log-completion"], StepNames(run));
        var summary = run.Output.As<DatabaseSummary>();
        Assert.True(summary.Completed);
        Assert.Equal(
            [
                new DbWrite("users", "update", "u-1", 1),
                new DbWrite("orders", "update", "o-1001", 1),
                new DbWrite("analytics", "insert", "order_processed:o-1001", 1),
            ],
            summary.Writes);
        Assert.Equal(3, database.Writes.Count);
    }

    // ---- race: payment gateway fallback ---------------------------------------------------------

    [Fact]
    public async Task RaceFallback_PrimaryHealthy_PrimaryWins()
    {
        var run = await SampleWorkflows.RaceFallback.TestAsync(
            new PaymentRequest("o-1001", 328.80m, "EUR"), Setup(l => l.BackupGateway = Slow));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(["payment-gateways", "handle-payment-result"], StepNames(run));
        Assert.Equal("primary", run.Step("payment-gateways").Output!["gateway"].As<string>());
        Assert.Equal(new PaymentOutcome(true, "primary", "primary-o-1001"), run.Output.As<PaymentOutcome>());
    }

    [Fact]
    public async Task RaceFallback_PrimaryDown_BackupWins()
    {
        var run = await SampleWorkflows.RaceFallback.TestAsync(
            new PaymentRequest("o-1001", 328.80m, "EUR"),
            Setup(l => l.BackupGateway = TimeSpan.FromMilliseconds(50), f => f.PrimaryGatewayDown = true));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(new PaymentOutcome(true, "backup", "backup-o-1001"), run.Output.As<PaymentOutcome>());
    }

    [Fact]
    public async Task RaceFallback_BothGatewaysDown_FailsWithEveryBranchError()
    {
        var run = await SampleWorkflows.RaceFallback.TestAsync(
            new PaymentRequest("o-1001", 328.80m, "EUR"),
            Setup(faults: f => (f.PrimaryGatewayDown, f.BackupGatewayDown) = (true, true)));

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.NotNull(run.Error);
        Assert.Equal("payment-gateways", run.Error.Step);
        Assert.Equal("Cronflow.RaceFailedException", run.Error.ErrorType);
        Assert.Equal([StepStatus.Failed, StepStatus.Failed], run.Error.Branches!.Select(b => b.Status));
        Assert.Contains("primary payment gateway is unavailable", run.Error.Message, StringComparison.Ordinal);
        Assert.Contains("backup payment gateway is unavailable", run.Error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("handle-payment-result", StepNames(run));
    }

    [Fact]
    public async Task RaceFallback_AmountOverLimit_HandleStepFailsOnDecline()
    {
        var run = await SampleWorkflows.RaceFallback.TestAsync(
            new PaymentRequest("o-9999", 25_000m, "EUR"), Setup(l => l.BackupGateway = Slow));

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.NotNull(run.Error);
        Assert.Equal("handle-payment-result", run.Error.Step);
        Assert.Contains("All payment gateways failed: the primary gateway declined", run.Error.Message, StringComparison.Ordinal);
        Assert.Equal(StepStatus.Completed, run.Step("payment-gateways").Status);
    }

    // ---- race: data source selection ------------------------------------------------------------

    [Fact]
    public async Task DataSourceSelection_CachedKey_CacheWins()
    {
        var run = await SampleWorkflows.DataSourceSelection.TestAsync(
            new DataLookupRequest("config:feature-flags"), Setup(l => (l.DatabaseRead, l.ExternalSource) = (Slow, Slow)));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(
            new SelectedData(new SourcedValue("config:feature-flags", "dark-mode,new-checkout", "cache"), "cache"),
            run.Output.As<SelectedData>());
    }

    [Fact]
    public async Task DataSourceSelection_CacheMiss_DatabaseWins()
    {
        var run = await SampleWorkflows.DataSourceSelection.TestAsync(
            new DataLookupRequest("user:u-1:preferences"), Setup(l => l.ExternalSource = Slow));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(
            new SelectedData(new SourcedValue("user:u-1:preferences", "lang=en;currency=EUR", "database"), "database"),
            run.Output.As<SelectedData>());
    }

    [Fact]
    public async Task DataSourceSelection_KeyOnlyExternal_ExternalWins()
    {
        var run = await SampleWorkflows.DataSourceSelection.TestAsync(new DataLookupRequest("rates:eur-usd"), Setup());

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("external", run.Output.As<SelectedData>().Source);
        Assert.Equal("external value of rates:eur-usd", run.Output.As<SelectedData>().Data.Value);
    }

    // ---- race: health checks --------------------------------------------------------------------

    [Fact]
    public async Task HealthChecks_AllHealthy_PrimaryReported()
    {
        var run = await SampleWorkflows.HealthChecks.TestAsync(
            new HealthCheckRequest("westeurope"), Setup(l => (l.HealthBackup, l.HealthFallback) = (Slow, Slow)));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(["health-probes", "report-health"], StepNames(run));
        var health = run.Output.As<HealthSummary>();
        Assert.Equal(("healthy", "primary"), (health.Status, health.Service));
    }

    [Fact]
    public async Task HealthChecks_PrimaryUnhealthy_BackupReported()
    {
        var run = await SampleWorkflows.HealthChecks.TestAsync(
            new HealthCheckRequest("westeurope"),
            Setup(l => l.HealthFallback = Slow, f => f.UnhealthyServices.Add("primary")));

        Assert.Equal(RunStatus.Completed, run.Status);
        var health = run.Output.As<HealthSummary>();
        Assert.Equal(("healthy", "backup"), (health.Status, health.Service));
    }

    // ---- conditional parallel -------------------------------------------------------------------

    [Fact]
    public async Task ConditionalParallel_RequiresValidation_RunsChecksInParallelThenValidatedStep()
    {
        var run = await SampleWorkflows.ConditionalParallel.TestAsync(new ConditionalOrderRequest("o-1001", RequiresValidation: true), Setup());

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(["load-order", "needs-validation", "validation-checks", "process-validated-order"], StepNames(run));
        Assert.Equal("branch needs-validation", run.Step("needs-validation").Detail);
        var order = run.Output.As<ValidatedOrder>();
        Assert.True(order.Processed);
        Assert.Equal("o-1001", order.OrderId);
        Assert.True(order.Validation.Valid);
        Assert.True(order.Inventory.AllInStock);
        Assert.Equal(new PaymentVerification(true, "pay-5001", "payment captured"), order.Payment);
    }

    [Fact]
    public async Task ConditionalParallel_ValidationFindsProblems_ReportsEachCheck()
    {
        var run = await SampleWorkflows.ConditionalParallel.TestAsync(new ConditionalOrderRequest("o-1003", RequiresValidation: true), Setup());

        Assert.Equal(RunStatus.Completed, run.Status);
        var order = run.Output.As<ValidatedOrder>();
        Assert.True(order.Validation.Valid);
        Assert.False(order.Inventory.AllInStock);
        Assert.Equal(["p-4: 3 missing"], order.Inventory.Shortages);
        Assert.Equal(new PaymentVerification(false, null, "no payment recorded"), order.Payment);
    }

    [Fact]
    public async Task ConditionalParallel_NoValidation_RunsSimpleOrderOnly()
    {
        var run = await SampleWorkflows.ConditionalParallel.TestAsync(new ConditionalOrderRequest("o-1002", RequiresValidation: false), Setup());

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(["load-order", "needs-validation", "process-simple-order"], StepNames(run));
        Assert.Equal("branch else", run.Step("needs-validation").Detail);
        Assert.Equal(new SimpleOrder(true, "o-1002"), run.Output.As<SimpleOrder>());
    }

    // ---- parallel with error handling -----------------------------------------------------------

    [Fact]
    public async Task ParallelErrorHandling_SecondCallFails_ReturnsFallbackInItsSlot()
    {
        var run = await SampleWorkflows.ParallelErrorHandling.TestAsync(new RiskyCallsRequest(FailFirst: false, FailSecond: true), Setup());

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(StepStatus.Completed, run.Step("risky-calls").Status);
        Assert.Null(run.Step("risky-calls").Error);
        var summary = run.Output.As<RiskyCallsSummary>();
        Assert.True(summary.Success);
        Assert.Equal(
            [
                new CallOutcome("risky-call", "risky-call: ok", null, false),
                new CallOutcome("another-risky-call", null, "another-risky-call failed: upstream returned 500.", true),
            ],
            summary.Results);
    }

    [Fact]
    public async Task ParallelErrorHandling_BothCallsFail_HandleResultsFails()
    {
        var run = await SampleWorkflows.ParallelErrorHandling.TestAsync(new RiskyCallsRequest(FailFirst: true, FailSecond: true), Setup());

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.NotNull(run.Error);
        Assert.Equal("handle-results", run.Error.Step);
        Assert.Equal("All operations failed.", run.Error.Message);
        Assert.Equal(StepStatus.Completed, run.Step("risky-calls").Status);
        Assert.Equal([true, true], run.Step("risky-calls").Output!.Items().Select(r => r["fallback"].As<bool>()));
    }

    // ---- parallel with timeout ------------------------------------------------------------------

    [Fact]
    public async Task ParallelWithTimeout_SlowReport_EndsThroughOnErrorWithPartialTrue()
    {
        var run = await SampleWorkflows.CreateParallelWithTimeout(TimeSpan.FromMilliseconds(500)).TestAsync(
            new MarketDataRequest("MSFT"), Setup(l => l.SlowReport = TimeSpan.FromSeconds(5)));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(["external-calls"], StepNames(run));
        var block = run.Step("external-calls");
        Assert.Equal(StepStatus.Completed, block.Status);
        Assert.NotNull(block.Error);
        Assert.Equal(ErrorCodes.Timeout, block.Error.Code);
        var partial = run.Output.As<PartialResults>();
        Assert.True(partial.Partial);
        Assert.Contains("timed out", partial.Error, StringComparison.Ordinal);
        Assert.Contains("external-calls", partial.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ParallelWithTimeout_SlowReport_PartialResultsListFinishedCalls()
    {
        // StepContext.Error of a block carries each branch's outcome, so OnError can return what finished in time.
        var run = await SampleWorkflows.CreateParallelWithTimeout(TimeSpan.FromSeconds(2)).TestAsync(
            new MarketDataRequest("MSFT"), Setup(l => l.SlowReport = TimeSpan.FromSeconds(10)));

        Assert.Equal(RunStatus.Completed, run.Status);
        var partial = run.Output.As<PartialResults>();
        Assert.True(partial.Partial);
        Assert.Equal(["/v1/quotes/MSFT", "/v1/rates/MSFT"], partial.Completed.Select(r => r.Endpoint));
    }

    [Fact]
    public async Task ParallelWithTimeout_AllCallsFast_ReturnsAllThreeResponses()
    {
        var run = await SampleWorkflows.CreateParallelWithTimeout(TimeSpan.FromSeconds(30)).TestAsync(new MarketDataRequest("MSFT"), Setup());

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Null(run.Step("external-calls").Error);
        Assert.Equal(
            ["/v1/quotes/MSFT", "/v1/rates/MSFT", "/v1/reports/MSFT"],
            run.Output.Items().Select(r => r.As<ApiResponse>().Endpoint));
    }

    // ---- batch processing with for-each ---------------------------------------------------------

    [Fact]
    public async Task BatchProcessing_ActiveUsers_ProcessesEachInUserOrder()
    {
        var run = await SampleWorkflows.BatchProcessing.TestAsync(new BatchRequest(ActiveOnly: true), Setup());

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(["get-large-dataset", "process-users"], StepNames(run));
        var expected = SampleData.Users.Where(u => u.Active).ToList();
        Assert.Equal($"{expected.Count} items", run.Step("process-users").Detail);
        var processed = run.Output.As<List<ProcessedUser>>();
        Assert.Equal(expected.Select(u => u.Id), processed.Select(p => p.UserId));
        Assert.Equal(expected.Select(u => u.Email), processed.Select(p => p.Email));
        Assert.Equal(new ProcessedUser("u-3", "user3@example.com", "gold"), processed.Single(p => p.UserId == "u-3"));
    }

    [Fact]
    public async Task BatchProcessing_AllUsers_ProcessesFortyInOrder()
    {
        var run = await SampleWorkflows.BatchProcessing.TestAsync(new BatchRequest(ActiveOnly: false), Setup());

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(Enumerable.Range(1, 40).Select(i => $"u-{i}"), run.Output.Items().Select(p => p["userId"].As<string>()));
    }

    // ---- resource limits ------------------------------------------------------------------------

    [Fact]
    public async Task ResourceLimits_EightCalls_NeverMoreThanThreeInFlight()
    {
        var probe = new ConcurrencyProbe();

        var run = await SampleWorkflows.ResourceLimits.TestAsync(
            new TenantSyncRequest("contoso"),
            Setup(l => l.RateLimitedApi = TimeSpan.FromMilliseconds(30), services: s => s.AddSingleton(probe)));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(SampleWorkflows.ResourceLimitCalls, probe.TotalCalls);
        Assert.InRange(probe.MaxObserved, 1, SampleWorkflows.ResourceLimitMaxConcurrency);
        Assert.Equal(0, probe.InFlight);
        var usage = run.Output.As<ResourceUsage>();
        Assert.Equal(8, usage.Calls);
        Assert.Equal(probe.MaxObserved, usage.MaxInFlight);
        Assert.Equal(Enumerable.Range(1, 8), usage.Pages);
    }

    // ---- error isolation ------------------------------------------------------------------------

    [Fact]
    public async Task ErrorIsolation_CriticalFails_ReturnsDegraded()
    {
        var run = await SampleWorkflows.ErrorIsolation.TestAsync(new ErrorIsolationRequest(FailCritical: true, FailNonCritical: false), Setup());

        Assert.Equal(RunStatus.Completed, run.Status);
        var result = run.Output.As<IsolationResult>();
        Assert.Equal("degraded", result.Status);
        Assert.Equal("critical-operation failed: upstream returned 500.", result.Critical.Error);
        Assert.True(result.Critical.Fallback);
        Assert.Equal(new ApiResponse("/v1/non-critical-operation", 200, "non-critical-operation: ok"), result.NonCritical);
    }

    [Fact]
    public async Task ErrorIsolation_NothingFails_ReturnsSuccess()
    {
        var run = await SampleWorkflows.ErrorIsolation.TestAsync(new ErrorIsolationRequest(FailCritical: false, FailNonCritical: false), Setup());

        Assert.Equal(RunStatus.Completed, run.Status);
        var result = run.Output.As<IsolationResult>();
        Assert.Equal("success", result.Status);
        Assert.Equal(new CallOutcome("critical-operation", "critical-operation: ok", null, false), result.Critical);
    }

    [Fact]
    public async Task ErrorIsolation_NonCriticalFails_BlockFailsNamingTheBranch()
    {
        var run = await SampleWorkflows.ErrorIsolation.TestAsync(new ErrorIsolationRequest(FailCritical: false, FailNonCritical: true), Setup());

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.NotNull(run.Error);
        Assert.Equal("isolated-operations[1]", run.Error.Step);
        Assert.Equal(typeof(SampleServiceException).FullName, run.Error.ErrorType);
        Assert.DoesNotContain("handle-results", StepNames(run));
    }

    // ---- monitoring -----------------------------------------------------------------------------

    [Fact]
    public async Task Monitoring_ThreeOperations_MeasuresFromStartTimer()
    {
        var run = await SampleWorkflows.Monitoring.TestAsync(new MarketDataRequest("MSFT"), Setup());

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(["start-timer", "operations", "measure-performance"], StepNames(run));
        Assert.True(run.Step("start-timer").Output!["startTime"].As<long>() > 0);
        Assert.Equal(System.Text.Json.JsonValueKind.Number, run.Output["durationMs"].Json.ValueKind);
        Assert.Equal(
            ["/v1/quotes/MSFT", "/v1/news/MSFT", "/v1/history/MSFT"],
            run.Output.As<PerformanceReport>().Results.Select(r => r.Endpoint));
    }

    // ---- the catalogue --------------------------------------------------------------------------

    [Fact]
    public void All_EverySample_HasUniquePrefixedIdPayloadAndValidDefinition()
    {
        var ids = SampleWorkflows.All.Select(w => w.Id).ToList();

        Assert.Equal(13, ids.Count);
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(ids, id => Assert.StartsWith("sample-", id, StringComparison.Ordinal));
        Assert.Equal(ids.Order(StringComparer.Ordinal), SamplePayloads.All.Keys.Order(StringComparer.Ordinal));
        Assert.All(SampleWorkflows.All, w => w.Build());
    }

    public static TheoryData<string> SampleIds => [.. SampleWorkflows.All.Select(w => w.Id)];

    [Theory]
    [MemberData(nameof(SampleIds))]
    public async Task All_SamplePayload_Completes(string workflowId)
    {
        var workflow = SampleWorkflows.All.Single(w => w.Id == workflowId);

        var run = await workflow.TestAsync(SamplePayloads.For(workflowId), Setup());

        Assert.True(run.Status == RunStatus.Completed, $"{workflowId} ended {run.Status}: {run.Error}");
    }
}
