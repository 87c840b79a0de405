using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cronflow.Samples;

/// <summary>The ids of the sample workflows.</summary>
public static class SampleWorkflowIds
{
    /// <summary><see cref="SampleWorkflows.DataFetching"/>.</summary>
    public const string DataFetching = "sample-data-fetching";

    /// <summary><see cref="SampleWorkflows.ApiCalls"/>.</summary>
    public const string ApiCalls = "sample-api-calls";

    /// <summary><see cref="SampleWorkflows.DatabaseOperations"/>.</summary>
    public const string DatabaseOperations = "sample-database-operations";

    /// <summary><see cref="SampleWorkflows.RaceFallback"/>.</summary>
    public const string RaceFallback = "sample-race-fallback";

    /// <summary><see cref="SampleWorkflows.DataSourceSelection"/>.</summary>
    public const string DataSourceSelection = "sample-data-source-selection";

    /// <summary><see cref="SampleWorkflows.HealthChecks"/>.</summary>
    public const string HealthChecks = "sample-health-checks";

    /// <summary><see cref="SampleWorkflows.ConditionalParallel"/>.</summary>
    public const string ConditionalParallel = "sample-conditional-parallel";

    /// <summary><see cref="SampleWorkflows.ParallelErrorHandling"/>.</summary>
    public const string ParallelErrorHandling = "sample-parallel-error-handling";

    /// <summary><see cref="SampleWorkflows.ParallelWithTimeout"/>.</summary>
    public const string ParallelWithTimeout = "sample-parallel-timeout";

    /// <summary><see cref="SampleWorkflows.BatchProcessing"/>.</summary>
    public const string BatchProcessing = "sample-batch-processing";

    /// <summary><see cref="SampleWorkflows.ResourceLimits"/>.</summary>
    public const string ResourceLimits = "sample-resource-limits";

    /// <summary><see cref="SampleWorkflows.ErrorIsolation"/>.</summary>
    public const string ErrorIsolation = "sample-error-isolation";

    /// <summary><see cref="SampleWorkflows.Monitoring"/>.</summary>
    public const string Monitoring = "sample-monitoring";
}

/// <summary>
/// The parallel execution patterns as runnable workflows. Each property builds a fresh definition; the steps resolve
/// the fake services registered by <see cref="SampleServiceCollectionExtensions.AddSampleServices(IServiceCollection, Action{SampleLatency}?)"/>.
/// </summary>
public static class SampleWorkflows
{
    /// <summary>The block timeout of <see cref="ParallelWithTimeout"/>.</summary>
    public static TimeSpan DefaultParallelTimeout { get; } = TimeSpan.FromSeconds(2);

    /// <summary>How many calls <see cref="ResourceLimits"/> makes.</summary>
    public const int ResourceLimitCalls = 8;

    /// <summary>How many of them may be in flight at once.</summary>
    public const int ResourceLimitMaxConcurrency = 3;

    /// <summary>How many users <see cref="BatchProcessing"/> processes at once.</summary>
    public const int BatchMaxConcurrency = 5;

    /// <summary>Every sample workflow, freshly built.</summary>
    public static IReadOnlyList<IWorkflowBuilder> All =>
    [
        DataFetching,
        ApiCalls,
        DatabaseOperations,
        RaceFallback,
        DataSourceSelection,
        HealthChecks,
        ConditionalParallel,
        ParallelErrorHandling,
        ParallelWithTimeout,
        BatchProcessing,
        ResourceLimits,
        ErrorIsolation,
        Monitoring,
    ];

    /// <summary>
    /// Data fetching: the user, the order, the products and the payment are read at once;
    /// <c>combine-data</c> gets them as an array in branch order.
    /// </summary>
    public static IWorkflowBuilder DataFetching =>
        Workflow.Define(SampleWorkflowIds.DataFetching, o => Describe(o, "Data fetching", "Four independent reads in parallel, then one step combines them."))
            .Parallel(
                new ParallelOptions { Name = "fetch-all" },
                async ctx => await ctx.Services.GetRequiredService<UserStore>()
                    .GetAsync(ctx.Payload.As<DataFetchingRequest>().UserId, ctx.CancellationToken),
                async ctx => await ctx.Services.GetRequiredService<OrderStore>()
                    .GetAsync(ctx.Payload.As<DataFetchingRequest>().OrderId, ctx.CancellationToken),
                async ctx => await ctx.Services.GetRequiredService<ProductStore>()
                    .GetManyAsync(ctx.Payload.As<DataFetchingRequest>().ProductIds, ctx.CancellationToken),
                async ctx => await ctx.Services.GetRequiredService<PaymentStore>()
                    .GetAsync(ctx.Payload.As<DataFetchingRequest>().PaymentId, ctx.CancellationToken))
            .Step("combine-data", ctx => new CombinedData(
                Combined: true,
                User: ctx.Last[0].As<User>(),
                Order: ctx.Last[1].As<Order>(),
                Products: ctx.Last[2].As<List<Product>>(),
                Payment: ctx.Last[3].As<Payment>()));

    /// <summary>API calls: three calls to the partner API at once, then <c>validate-data</c> cross-checks the answers.</summary>
    public static IWorkflowBuilder ApiCalls =>
        Workflow.Define(SampleWorkflowIds.ApiCalls, o => Describe(o, "API calls", "Three partner API calls in parallel, then a validation step."))
            .Parallel(
                new ParallelOptions { Name = "call-apis" },
                async ctx => await ctx.Services.GetRequiredService<ExternalApiClient>()
                    .GetUserAsync(ctx.Payload.As<ApiCallsRequest>().UserId, ctx.CancellationToken),
                async ctx => await ctx.Services.GetRequiredService<ExternalApiClient>()
                    .GetOrderAsync(ctx.Payload.As<ApiCallsRequest>().OrderId, ctx.CancellationToken),
                async ctx => await ctx.Services.GetRequiredService<ExternalApiClient>()
                    .GetInventoryAsync(ctx.Payload.As<ApiCallsRequest>().ProductIds, ctx.CancellationToken))
            .Step("validate-data", ctx => ValidateAll(ctx.Last[0].As<User>(), ctx.Last[1].As<Order>(), ctx.Last[2].As<List<InventoryLevel>>()));

    /// <summary>Database operations: three independent writes at once, then <c>log-completion</c>.</summary>
    public static IWorkflowBuilder DatabaseOperations =>
        Workflow.Define(SampleWorkflowIds.DatabaseOperations, o => Describe(o, "Database operations", "Three independent writes in parallel, then a completion log."))
            .Parallel(
                new ParallelOptions { Name = "write-records" },
                async ctx => await ctx.Services.GetRequiredService<SampleDatabase>()
                    .UpdateUserLastActiveAsync(ctx.Payload.As<DatabaseOperationsRequest>().UserId, DateTimeOffset.UtcNow, ctx.CancellationToken),
                async ctx => await ctx.Services.GetRequiredService<SampleDatabase>()
                    .UpdateOrderStatusAsync(ctx.Payload.As<DatabaseOperationsRequest>().OrderId, "processing", ctx.CancellationToken),
                async ctx => await ctx.Services.GetRequiredService<SampleDatabase>()
                    .InsertAnalyticsEventAsync("order_processed", ctx.Payload.As<DatabaseOperationsRequest>().OrderId, DateTimeOffset.UtcNow, ctx.CancellationToken))
            .Step("log-completion", ctx =>
            {
                var writes = ctx.Last.As<List<DbWrite>>();
                ctx.Services.GetService<ILoggerFactory>()?.CreateLogger("Cronflow.Samples.Database")
                    .LogInformation("All {Count} database operations completed for run {RunId}", writes.Count, ctx.Run.Id);
                return new DatabaseSummary(Completed: true, writes);
            });

    /// <summary>
    /// API fallback: the primary and the backup payment gateways race; the first to succeed wins, so a failing primary
    /// falls back to the slower backup. A declined payment fails <c>handle-payment-result</c>.
    /// </summary>
    public static IWorkflowBuilder RaceFallback =>
        Workflow.Define(SampleWorkflowIds.RaceFallback, o => Describe(o, "Payment gateway fallback", "Primary and backup gateways race; the first success wins."))
            .Race(
                new RaceOptions { Name = "payment-gateways" },
                async ctx => await ctx.Services.GetRequiredService<PrimaryPaymentGateway>()
                    .ProcessAsync(ctx.Payload.As<PaymentRequest>(), ctx.CancellationToken),
                async ctx => await ctx.Services.GetRequiredService<BackupPaymentGateway>()
                    .ProcessAsync(ctx.Payload.As<PaymentRequest>(), ctx.CancellationToken))
            .Step("handle-payment-result", ctx =>
            {
                var result = ctx.Last.As<PaymentResult>();
                return result.Success
                    ? new PaymentOutcome(PaymentProcessed: true, result.Gateway, result.TransactionId!)
                    : throw new InvalidOperationException($"All payment gateways failed: the {result.Gateway} gateway declined ({result.DeclineReason}).");
            });

    /// <summary>Data source selection: cache, database and external source race; the first that has the key wins.</summary>
    public static IWorkflowBuilder DataSourceSelection =>
        Workflow.Define(SampleWorkflowIds.DataSourceSelection, o => Describe(o, "Data source selection", "Cache, database and external source race; the fastest hit wins."))
            .Race(
                new RaceOptions { Name = "data-sources" },
                async ctx => await ctx.Services.GetRequiredService<CacheSource>()
                    .GetAsync(ctx.Payload.As<DataLookupRequest>().Key, ctx.CancellationToken),
                async ctx => await ctx.Services.GetRequiredService<DatabaseSource>()
                    .GetAsync(ctx.Payload.As<DataLookupRequest>().Key, ctx.CancellationToken),
                async ctx => await ctx.Services.GetRequiredService<ExternalDataSource>()
                    .GetAsync(ctx.Payload.As<DataLookupRequest>().Key, ctx.CancellationToken))
            .Step("use-fastest-result", ctx =>
            {
                var data = ctx.Last.As<SourcedValue>();
                return new SelectedData(data, data.Source);
            });

    /// <summary>Health checks: three redundant services race; the first healthy answer is reported.</summary>
    public static IWorkflowBuilder HealthChecks =>
        Workflow.Define(SampleWorkflowIds.HealthChecks, o => Describe(o, "Health checks", "Three health checks race; the first healthy service is reported."))
            .Race(
                new RaceOptions { Name = "health-probes" },
                async ctx => await ctx.Services.GetRequiredService<HealthCheckClient>().PrimaryAsync(ctx.CancellationToken),
                async ctx => await ctx.Services.GetRequiredService<HealthCheckClient>().BackupAsync(ctx.CancellationToken),
                async ctx => await ctx.Services.GetRequiredService<HealthCheckClient>().FallbackAsync(ctx.CancellationToken))
            .Step("report-health", ctx =>
            {
                var health = ctx.Last.As<HealthReport>();
                return new HealthSummary(health.Status, health.Service, health.ResponseTimeMs);
            });

    /// <summary>
    /// Conditional parallel: when the payload asks for validation, the order, its stock and its payment are checked at
    /// once before <c>process-validated-order</c>; otherwise <c>process-simple-order</c> runs alone.
    /// </summary>
    public static IWorkflowBuilder ConditionalParallel =>
        Workflow.Define(SampleWorkflowIds.ConditionalParallel, o => Describe(o, "Conditional parallel", "Parallel validation only for orders that need it."))
            .Step("load-order", async ctx => await ctx.Services.GetRequiredService<OrderStore>()
                .GetAsync(ctx.Payload.As<ConditionalOrderRequest>().OrderId, ctx.CancellationToken))
            .If("needs-validation", ctx => ctx.Payload.As<ConditionalOrderRequest>().RequiresValidation)
                .Parallel(
                    new ParallelOptions { Name = "validation-checks" },
                    async ctx => await ctx.Services.GetRequiredService<OrderStore>()
                        .ValidateAsync(ctx.Last.As<Order>(), ctx.CancellationToken),
                    async ctx => await ctx.Services.GetRequiredService<ProductStore>()
                        .CheckInventoryAsync(ctx.Last.As<Order>().Lines, ctx.CancellationToken),
                    async ctx => await ctx.Services.GetRequiredService<PaymentStore>()
                        .VerifyAsync(ctx.Last.As<Order>(), ctx.CancellationToken))
                .Step("process-validated-order", ctx => new ValidatedOrder(
                    Processed: true,
                    OrderId: ctx.Steps["load-order"].Output.As<Order>().Id,
                    Validation: ctx.Last[0].As<OrderCheck>(),
                    Inventory: ctx.Last[1].As<InventoryCheck>(),
                    Payment: ctx.Last[2].As<PaymentVerification>()))
            .Else()
                .Step("process-simple-order", ctx => new SimpleOrder(Processed: true, ctx.Last.As<Order>().Id))
            .EndIf();

    /// <summary>
    /// Parallel with error handling: each branch catches its own failure and returns a fallback value, so the block
    /// always completes; <c>handle-results</c> fails only when every call failed.
    /// </summary>
    public static IWorkflowBuilder ParallelErrorHandling =>
        Workflow.Define(SampleWorkflowIds.ParallelErrorHandling, o => Describe(o, "Parallel with error handling", "Branches catch their own errors and return fallbacks."))
            .Parallel(
                new ParallelOptions { Name = "risky-calls" },
                async ctx => await GuardedCallAsync(ctx, "risky-call", ctx.Payload.As<RiskyCallsRequest>().FailFirst),
                async ctx => await GuardedCallAsync(ctx, "another-risky-call", ctx.Payload.As<RiskyCallsRequest>().FailSecond))
            .Step("handle-results", ctx =>
            {
                List<CallOutcome> results = [ctx.Last[0].As<CallOutcome>(), ctx.Last[1].As<CallOutcome>()];
                return results.TrueForAll(r => r.Error is not null)
                    ? throw new InvalidOperationException("All operations failed.")
                    : new RiskyCallsSummary(Success: true, results);
            });

    /// <summary>
    /// Parallel with timeout: three partner calls under a durable block timeout of <see cref="DefaultParallelTimeout"/>;
    /// the report call is slow, the block times out and <c>OnError</c> returns the finished responses marked partial.
    /// </summary>
    public static IWorkflowBuilder ParallelWithTimeout => CreateParallelWithTimeout(DefaultParallelTimeout);

    /// <summary><see cref="ParallelWithTimeout"/> with another block timeout.</summary>
    public static IWorkflowBuilder CreateParallelWithTimeout(TimeSpan timeout) =>
        Workflow.Define(SampleWorkflowIds.ParallelWithTimeout, o => Describe(o, "Parallel with timeout", "A durable block timeout; on timeout the finished results are returned as partial."))
            .Parallel(
                new ParallelOptions { Name = "external-calls", Timeout = timeout },
                async ctx => await ctx.Services.GetRequiredService<ExternalApiClient>()
                    .CallAsync($"/v1/quotes/{ctx.Payload.As<MarketDataRequest>().Symbol}", ctx.CancellationToken),
                async ctx => await ctx.Services.GetRequiredService<ExternalApiClient>()
                    .CallAsync($"/v1/rates/{ctx.Payload.As<MarketDataRequest>().Symbol}", ctx.CancellationToken),
                async ctx => await ctx.Services.GetRequiredService<ExternalApiClient>()
                    .GenerateReportAsync(ctx.Payload.As<MarketDataRequest>().Symbol, ctx.CancellationToken))
            .OnError(ctx => new PartialResults(
                Error: ctx.Error?.Message ?? "The parallel block failed.",
                Partial: true,
                Completed:
                [
                    .. (ctx.Error?.Branches ?? [])
                        .Where(b => b.Status == StepStatus.Completed && b.Output is not null)
                        .Select(b => b.Output!.As<ApiResponse>()),
                ]));

    /// <summary>
    /// Batch processing: <c>get-large-dataset</c> reads the users, then <c>process-users</c> processes each one,
    /// <see cref="BatchMaxConcurrency"/> at a time; the output lists the results in user order.
    /// </summary>
    public static IWorkflowBuilder BatchProcessing =>
        Workflow.Define(SampleWorkflowIds.BatchProcessing, o => Describe(o, "Batch processing", "For-each over a data set with bounded concurrency."))
            .Step("get-large-dataset", async ctx => ctx.Payload.As<BatchRequest>().ActiveOnly
                ? await ctx.Services.GetRequiredService<UserStore>().FindActiveAsync(ctx.CancellationToken)
                : SampleData.Users)
            .ForEach(
                "process-users",
                ctx => ctx.Steps["get-large-dataset"].Output.As<List<User>>(),
                (user, flow) => flow.Step("process-user", async ctx => await ctx.Services.GetRequiredService<UserProcessor>()
                    .ProcessAsync(user, ctx.CancellationToken)),
                new ForEachOptions { MaxConcurrency = BatchMaxConcurrency });

    /// <summary>
    /// Resource limits: <see cref="ResourceLimitCalls"/> calls to a rate-limited API, at most
    /// <see cref="ResourceLimitMaxConcurrency"/> in flight (a sliding window), under an overall 30 s timeout.
    /// </summary>
    public static IWorkflowBuilder ResourceLimits =>
        Workflow.Define(SampleWorkflowIds.ResourceLimits, o => Describe(o, "Resource limits", "Many calls, a bounded number in flight, an overall timeout."))
            .Parallel(
                new ParallelOptions { Name = "rate-limited-calls", MaxConcurrency = ResourceLimitMaxConcurrency, Timeout = TimeSpan.FromSeconds(30) },
                [.. Enumerable.Range(1, ResourceLimitCalls).Select(FetchPage)])
            .Step("summarize-usage", ctx => new ResourceUsage(
                Calls: ctx.Last.Count,
                MaxInFlight: ctx.Services.GetRequiredService<ConcurrencyProbe>().MaxObserved,
                Pages: [.. ctx.Last.Items().Select(r => PageOf(r.As<ApiResponse>()))]));

    /// <summary>
    /// Error isolation: the critical operation catches its own failure so the block carries on; <c>handle-results</c>
    /// reports <c>degraded</c> when it failed and <c>success</c> otherwise.
    /// </summary>
    public static IWorkflowBuilder ErrorIsolation =>
        Workflow.Define(SampleWorkflowIds.ErrorIsolation, o => Describe(o, "Error isolation", "A critical branch isolates its failure; the result is degraded, not failed."))
            .Parallel(
                new ParallelOptions { Name = "isolated-operations" },
                async ctx => await GuardedCallAsync(ctx, "critical-operation", ctx.Payload.As<ErrorIsolationRequest>().FailCritical),
                async ctx => await ctx.Services.GetRequiredService<RiskyApi>()
                    .CallAsync("non-critical-operation", ctx.Payload.As<ErrorIsolationRequest>().FailNonCritical, ctx.CancellationToken))
            .Step("handle-results", ctx =>
            {
                var critical = ctx.Last[0].As<CallOutcome>();
                var nonCritical = ctx.Last[1].As<ApiResponse>();
                return new IsolationResult(critical.Error is null ? "success" : "degraded", critical, nonCritical);
            });

    /// <summary>
    /// Monitoring: <c>start-timer</c> records the time, three calls run in parallel, and <c>measure-performance</c>
    /// reads <c>ctx.Steps["start-timer"]</c> to report how long they took.
    /// </summary>
    public static IWorkflowBuilder Monitoring =>
        Workflow.Define(SampleWorkflowIds.Monitoring, o => Describe(o, "Monitoring", "Measures how long a parallel block takes."))
            .Step("start-timer", _ => new TimerStarted(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()))
            .Parallel(
                new ParallelOptions { Name = "operations" },
                async ctx => await ctx.Services.GetRequiredService<ExternalApiClient>()
                    .CallAsync($"/v1/quotes/{ctx.Payload.As<MarketDataRequest>().Symbol}", ctx.CancellationToken),
                async ctx => await ctx.Services.GetRequiredService<ExternalApiClient>()
                    .CallAsync($"/v1/news/{ctx.Payload.As<MarketDataRequest>().Symbol}", ctx.CancellationToken),
                async ctx => await ctx.Services.GetRequiredService<ExternalApiClient>()
                    .CallAsync($"/v1/history/{ctx.Payload.As<MarketDataRequest>().Symbol}", ctx.CancellationToken))
            .Step("measure-performance", ctx =>
            {
                var startTime = ctx.Steps["start-timer"].Output.As<TimerStarted>().StartTime;
                var duration = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - startTime;
                return new PerformanceReport(duration, ctx.Last.As<List<ApiResponse>>());
            });

    // ---- helpers --------------------------------------------------------------------------------

    private static void Describe(WorkflowOptions options, string name, string description)
    {
        options.Name = name;
        options.Description = description;
        options.Tags = ["sample", "parallel-execution"];
    }

    /// <summary>Calls the risky API and turns a failure into a fallback value instead of failing the branch.</summary>
    private static async Task<CallOutcome> GuardedCallAsync(StepContext ctx, string operation, bool simulateFailure)
    {
        try
        {
            var response = await ctx.Services.GetRequiredService<RiskyApi>().CallAsync(operation, simulateFailure, ctx.CancellationToken);
            return new CallOutcome(operation, response.Body, Error: null, Fallback: false);
        }
        catch (SampleServiceException ex)
        {
            return new CallOutcome(operation, Data: null, ex.Message, Fallback: true);
        }
    }

    private static Func<StepContext, Task<object?>> FetchPage(int page) =>
        async ctx => await ctx.Services.GetRequiredService<RateLimitedApi>()
            .FetchPageAsync(ctx.Payload.As<TenantSyncRequest>().Tenant, page, ctx.CancellationToken);

    private static int PageOf(ApiResponse response) =>
        int.Parse(response.Endpoint.AsSpan(response.Endpoint.LastIndexOf('=') + 1), System.Globalization.CultureInfo.InvariantCulture);

    private static DataValidation ValidateAll(User user, Order order, IReadOnlyList<InventoryLevel> inventory)
    {
        var issues = new List<string>();
        if (!user.Active)
        {
            issues.Add($"User '{user.Id}' is inactive.");
        }

        if (order.UserId != user.Id)
        {
            issues.Add($"Order '{order.Id}' belongs to '{order.UserId}', not '{user.Id}'.");
        }

        foreach (var line in order.Lines)
        {
            var available = inventory.FirstOrDefault(i => i.ProductId == line.ProductId)?.Available ?? 0;
            if (available < line.Quantity)
            {
                issues.Add($"Product '{line.ProductId}': {line.Quantity} ordered, {available} available.");
            }
        }

        return new DataValidation(issues.Count == 0, user.Id, order.Id, issues);
    }
}
