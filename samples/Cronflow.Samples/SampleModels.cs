namespace Cronflow.Samples;

// ---- payloads --------------------------------------------------------------------------------

/// <summary>Payload of <see cref="SampleWorkflows.DataFetching"/>.</summary>
/// <param name="UserId">The user to read.</param>
/// <param name="OrderId">The order to read.</param>
/// <param name="ProductIds">The products to read.</param>
/// <param name="PaymentId">The payment to read.</param>
public sealed record DataFetchingRequest(string UserId, string OrderId, IReadOnlyList<string> ProductIds, string PaymentId);

/// <summary>Payload of <see cref="SampleWorkflows.ApiCalls"/>.</summary>
/// <param name="UserId">The user to read from the partner API.</param>
/// <param name="OrderId">The order to read from the partner API.</param>
/// <param name="ProductIds">The products whose stock is read from the partner API.</param>
public sealed record ApiCallsRequest(string UserId, string OrderId, IReadOnlyList<string> ProductIds);

/// <summary>Payload of <see cref="SampleWorkflows.DatabaseOperations"/>.</summary>
/// <param name="UserId">The user whose last activity is updated.</param>
/// <param name="OrderId">The order moved to processing.</param>
public sealed record DatabaseOperationsRequest(string UserId, string OrderId);

/// <summary>Payload of <see cref="SampleWorkflows.DataSourceSelection"/>.</summary>
/// <param name="Key">The key to look up.</param>
public sealed record DataLookupRequest(string Key);

/// <summary>Payload of <see cref="SampleWorkflows.HealthChecks"/>.</summary>
/// <param name="Region">The region whose services are checked.</param>
public sealed record HealthCheckRequest(string Region);

/// <summary>Payload of <see cref="SampleWorkflows.ConditionalParallel"/>.</summary>
/// <param name="OrderId">The order to process.</param>
/// <param name="RequiresValidation">Whether to validate the order, its stock and its payment first.</param>
public sealed record ConditionalOrderRequest(string OrderId, bool RequiresValidation);

/// <summary>Payload of <see cref="SampleWorkflows.ParallelErrorHandling"/>.</summary>
/// <param name="FailFirst">Make the first risky call fail.</param>
/// <param name="FailSecond">Make the second risky call fail.</param>
public sealed record RiskyCallsRequest(bool FailFirst, bool FailSecond);

/// <summary>Payload of <see cref="SampleWorkflows.ParallelWithTimeout"/> and <see cref="SampleWorkflows.Monitoring"/>.</summary>
/// <param name="Symbol">The instrument to read market data for.</param>
public sealed record MarketDataRequest(string Symbol);

/// <summary>Payload of <see cref="SampleWorkflows.BatchProcessing"/>.</summary>
/// <param name="ActiveOnly">Process active users only.</param>
public sealed record BatchRequest(bool ActiveOnly);

/// <summary>Payload of <see cref="SampleWorkflows.ResourceLimits"/>.</summary>
/// <param name="Tenant">The tenant whose records are fetched.</param>
public sealed record TenantSyncRequest(string Tenant);

/// <summary>Payload of <see cref="SampleWorkflows.ErrorIsolation"/>.</summary>
/// <param name="FailCritical">Make the critical operation fail (it is isolated: the run continues, degraded).</param>
/// <param name="FailNonCritical">Make the non-critical operation fail (it is not isolated: the block fails).</param>
public sealed record ErrorIsolationRequest(bool FailCritical, bool FailNonCritical);

// ---- outputs ---------------------------------------------------------------------------------

/// <summary>Output of <c>combine-data</c>.</summary>
/// <param name="Combined">Always true.</param>
/// <param name="User">The user.</param>
/// <param name="Order">The order.</param>
/// <param name="Products">The products, in the order asked.</param>
/// <param name="Payment">The payment.</param>
public sealed record CombinedData(bool Combined, User User, Order Order, IReadOnlyList<Product> Products, Payment Payment);

/// <summary>Output of <c>validate-data</c>.</summary>
/// <param name="Valid">True when nothing is wrong.</param>
/// <param name="UserId">The user checked.</param>
/// <param name="OrderId">The order checked.</param>
/// <param name="Issues">What is wrong.</param>
public sealed record DataValidation(bool Valid, string UserId, string OrderId, IReadOnlyList<string> Issues);

/// <summary>Output of <c>log-completion</c>.</summary>
/// <param name="Completed">Always true.</param>
/// <param name="Writes">The writes of the parallel block, in branch order.</param>
public sealed record DatabaseSummary(bool Completed, IReadOnlyList<DbWrite> Writes);

/// <summary>Output of <c>handle-payment-result</c>.</summary>
/// <param name="PaymentProcessed">Always true (a declined payment fails the step).</param>
/// <param name="Gateway">The gateway that answered first.</param>
/// <param name="TransactionId">Its transaction id.</param>
public sealed record PaymentOutcome(bool PaymentProcessed, string Gateway, string TransactionId);

/// <summary>Output of <c>use-fastest-result</c>.</summary>
/// <param name="Data">The value found by the first source that had it.</param>
/// <param name="Source">Which source that was.</param>
public sealed record SelectedData(SourcedValue Data, string Source);

/// <summary>Output of <c>report-health</c>.</summary>
/// <param name="Status">The status of the first healthy service.</param>
/// <param name="Service">Which service answered.</param>
/// <param name="ResponseTimeMs">Its response time.</param>
public sealed record HealthSummary(string Status, string Service, long ResponseTimeMs);

/// <summary>Output of <c>process-validated-order</c>.</summary>
/// <param name="Processed">Always true.</param>
/// <param name="OrderId">The order.</param>
/// <param name="Validation">The order check.</param>
/// <param name="Inventory">The stock check.</param>
/// <param name="Payment">The payment check.</param>
public sealed record ValidatedOrder(bool Processed, string OrderId, OrderCheck Validation, InventoryCheck Inventory, PaymentVerification Payment);

/// <summary>Output of <c>process-simple-order</c>.</summary>
/// <param name="Processed">Always true.</param>
/// <param name="OrderId">The order.</param>
public sealed record SimpleOrder(bool Processed, string OrderId);

/// <summary>How one guarded call ended: its data, or the error it caught and a fallback marker.</summary>
/// <param name="Operation">The operation called.</param>
/// <param name="Data">The response body, when it succeeded.</param>
/// <param name="Error">The error message, when it failed.</param>
/// <param name="Fallback">True when this is a fallback value standing in for a failed call.</param>
public sealed record CallOutcome(string Operation, string? Data, string? Error, bool Fallback);

/// <summary>Output of <c>handle-results</c> in the error-handling sample.</summary>
/// <param name="Success">Always true (all calls failing fails the step).</param>
/// <param name="Results">Each call's outcome, in branch order.</param>
public sealed record RiskyCallsSummary(bool Success, IReadOnlyList<CallOutcome> Results);

/// <summary>What the timeout sample returns when its parallel block times out.</summary>
/// <param name="Error">The timeout error's message.</param>
/// <param name="Partial">Always true.</param>
/// <param name="Completed">The responses of the branches that had finished, in branch order.</param>
public sealed record PartialResults(string Error, bool Partial, IReadOnlyList<ApiResponse> Completed);

/// <summary>Output of <c>summarize-usage</c> in the resource-limit sample.</summary>
/// <param name="Calls">Responses received.</param>
/// <param name="MaxInFlight">The most calls the <see cref="ConcurrencyProbe"/> saw in flight at once.</param>
/// <param name="Pages">The pages fetched, in branch order.</param>
public sealed record ResourceUsage(int Calls, int MaxInFlight, IReadOnlyList<int> Pages);

/// <summary>Output of <c>handle-results</c> in the error-isolation sample.</summary>
/// <param name="Status">success, or degraded when the critical operation failed.</param>
/// <param name="Critical">The critical operation's outcome.</param>
/// <param name="NonCritical">The non-critical operation's response.</param>
public sealed record IsolationResult(string Status, CallOutcome Critical, ApiResponse NonCritical);

/// <summary>Output of <c>start-timer</c>.</summary>
/// <param name="StartTime">Unix time in milliseconds.</param>
public sealed record TimerStarted(long StartTime);

/// <summary>Output of <c>measure-performance</c>.</summary>
/// <param name="DurationMs">Milliseconds from <c>start-timer</c> to <c>measure-performance</c>.</param>
/// <param name="Results">The parallel block's responses, in branch order.</param>
public sealed record PerformanceReport(long DurationMs, IReadOnlyList<ApiResponse> Results);
