using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Cronflow;

/// <summary>Collects the workflows (and the services their steps use) of a host.</summary>
public sealed class CronflowBuilder
{
    private readonly List<Func<WorkflowDefinition>> _definitions = [];

    internal CronflowBuilder(IServiceCollection services) => Services = services;

    /// <summary>The host's services; step bodies resolve them through <see cref="StepContext.Services"/>.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Engine-wide limits.</summary>
    public CronflowOptions Options { get; } = new();

    /// <summary>
    /// Registers a workflow. It is built (and validated) with all the others when registration ends, so that one
    /// <see cref="WorkflowDefinitionException"/> lists the problems of every workflow.
    /// </summary>
    public CronflowBuilder AddWorkflow(IWorkflowBuilder workflow)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        _definitions.Add(workflow.Build);
        return this;
    }

    /// <summary>Registers a built workflow.</summary>
    public CronflowBuilder AddWorkflow(WorkflowDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        _definitions.Add(() => definition);
        return this;
    }

    /// <summary>Changes engine-wide limits.</summary>
    public CronflowBuilder Configure(Action<CronflowOptions> configure)
    {
        configure(Options);
        return this;
    }

    internal WorkflowRegistry BuildRegistry()
    {
        Options.Validate();
        var errors = new List<DefinitionError>();
        var definitions = new List<WorkflowDefinition>();
        foreach (var build in _definitions)
        {
            try
            {
                definitions.Add(build());
            }
            catch (WorkflowDefinitionException ex)
            {
                errors.AddRange(ex.Errors);
            }
        }

        try
        {
            var registry = new WorkflowRegistry(definitions);
            return errors.Count == 0 ? registry : throw new WorkflowDefinitionException(errors);
        }
        catch (WorkflowDefinitionException ex) when (!ReferenceEquals(ex.Errors, errors))
        {
            errors.AddRange(ex.Errors);
            throw new WorkflowDefinitionException(errors);
        }
    }
}

/// <summary>Registration of Cronflow in any <see cref="IServiceCollection"/>.</summary>
public static class CronflowServiceCollectionExtensions
{
    /// <summary>
    /// Registers the workflows and the engine's services (the orchestrator, the step activity, the registry).
    /// All definitions are checked together now: duplicate ids, webhook collisions and invalid definitions throw one
    /// <see cref="WorkflowDefinitionException"/> listing every problem.
    /// </summary>
    public static IServiceCollection AddCronflow(this IServiceCollection services, Action<CronflowBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var builder = new CronflowBuilder(services);
        configure(builder);
        var registry = builder.BuildRegistry();
        services.AddSingleton(registry);
        services.AddSingleton(builder.Options);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RunCancellations>();
        services.TryAddSingleton<StepExecutor>();
        services.TryAddSingleton<WorkflowOrchestrator>();
        services.TryAddSingleton<StepActivity>();
        return services;
    }
}
