namespace Cronflow.Samples;

/// <summary>An example payload for each sample workflow, chosen so that the run shows its pattern at work.</summary>
public static class SamplePayloads
{
    /// <summary>Payloads by workflow id.</summary>
    public static IReadOnlyDictionary<string, object> All { get; } = new Dictionary<string, object>(StringComparer.Ordinal)
    {
        [SampleWorkflowIds.DataFetching] = new DataFetchingRequest("u-1", "o-1001", ["p-1", "p-3"], "pay-5001"),
        [SampleWorkflowIds.ApiCalls] = new ApiCallsRequest("u-1", "o-1001", ["p-1", "p-3"]),
        [SampleWorkflowIds.DatabaseOperations] = new DatabaseOperationsRequest("u-1", "o-1001"),
        [SampleWorkflowIds.RaceFallback] = new PaymentRequest("o-1001", 328.80m, "EUR"),
        [SampleWorkflowIds.DataSourceSelection] = new DataLookupRequest("user:u-1:preferences"),
        [SampleWorkflowIds.HealthChecks] = new HealthCheckRequest("westeurope"),
        [SampleWorkflowIds.ConditionalParallel] = new ConditionalOrderRequest("o-1001", RequiresValidation: true),
        [SampleWorkflowIds.ParallelErrorHandling] = new RiskyCallsRequest(FailFirst: false, FailSecond: true),
        [SampleWorkflowIds.ParallelWithTimeout] = new MarketDataRequest("MSFT"),
        [SampleWorkflowIds.BatchProcessing] = new BatchRequest(ActiveOnly: true),
        [SampleWorkflowIds.ResourceLimits] = new TenantSyncRequest("contoso"),
        [SampleWorkflowIds.ErrorIsolation] = new ErrorIsolationRequest(FailCritical: true, FailNonCritical: false),
        [SampleWorkflowIds.Monitoring] = new MarketDataRequest("MSFT"),
    };

    /// <summary>The example payload of <paramref name="workflowId"/>.</summary>
    /// <exception cref="KeyNotFoundException">Not a sample workflow id.</exception>
    public static object For(string workflowId) =>
        All.TryGetValue(workflowId, out var payload)
            ? payload
            : throw new KeyNotFoundException($"'{workflowId}' is not a sample workflow. Samples: {string.Join(", ", All.Keys)}.");
}
