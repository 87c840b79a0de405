using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Cronflow.Samples;

/// <summary>Registers the fake services the sample workflows use.</summary>
public static class SampleServiceCollectionExtensions
{
    /// <summary>
    /// Registers every fake service as a singleton, with latencies changed by <paramref name="configure"/>.
    /// Services already registered (a <see cref="ConcurrencyProbe"/> a test wants to read, say) are kept.
    /// </summary>
    public static IServiceCollection AddSampleServices(this IServiceCollection services, Action<SampleLatency>? configure = null) =>
        services.AddSampleServices(configure, faults: null);

    /// <summary>Registers every fake service, with latencies and simulated outages.</summary>
    public static IServiceCollection AddSampleServices(this IServiceCollection services, Action<SampleLatency>? configure, Action<SampleFaults>? faults)
    {
        ArgumentNullException.ThrowIfNull(services);
        var latency = new SampleLatency();
        configure?.Invoke(latency);
        var outages = new SampleFaults();
        faults?.Invoke(outages);

        services.Replace(ServiceDescriptor.Singleton(latency));
        services.Replace(ServiceDescriptor.Singleton(outages));
        services.TryAddSingleton<UserStore>();
        services.TryAddSingleton<OrderStore>();
        services.TryAddSingleton<ProductStore>();
        services.TryAddSingleton<PaymentStore>();
        services.TryAddSingleton<UserProcessor>();
        services.TryAddSingleton<ExternalApiClient>();
        services.TryAddSingleton<SampleDatabase>();
        services.TryAddSingleton<PrimaryPaymentGateway>();
        services.TryAddSingleton<BackupPaymentGateway>();
        services.TryAddSingleton<CacheSource>();
        services.TryAddSingleton<DatabaseSource>();
        services.TryAddSingleton<ExternalDataSource>();
        services.TryAddSingleton<HealthCheckClient>();
        services.TryAddSingleton<RiskyApi>();
        services.TryAddSingleton<ConcurrencyProbe>();
        services.TryAddSingleton<RateLimitedApi>();
        return services;
    }
}
