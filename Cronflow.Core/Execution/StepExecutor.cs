using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Cronflow;

/// <summary>
/// Runs one step body for the step activity: finds the body in the definition, builds its <see cref="StepContext"/>
/// with a fresh DI scope, enforces the step timeout through the context's cancellation token, and turns the result
/// into JSON (checking its size). Exceptions propagate: the activity boundary records them as failure details.
/// </summary>
internal sealed class StepExecutor(WorkflowRegistry registry, IServiceProvider services, CronflowOptions options, RunCancellations cancellations, StepOutputCache cache)
{
    private readonly StepMocks? _mocks = services.GetService<StepMocks>();

    public async Task<StepOutcome> ExecuteAsync(StepRequest request, CancellationToken cancellationToken = default) =>
        new() { Path = request.Path, Output = await RunBodyAsync(request, cancellationToken).ConfigureAwait(false) };

    private async Task<JsonElement?> RunBodyAsync(StepRequest request, CancellationToken cancellationToken)
    {
        var definition = registry.Get(request.WorkflowId);
        var callable = definition.Resolve(request.Path, request.ItemChain)
            ?? throw new CronflowException(
                $"Workflow '{request.WorkflowId}' has no step at {request.Path} ('{request.Name}'); the definition changed while the run was in flight.");
        var body = _mocks?.Find(request.WorkflowId, callable.Name) ?? callable.Body;

        using var timeout = request.TimeoutMs is { } ms ? new CancellationTokenSource(TimeSpan.FromMilliseconds(ms)) : null;
        using var registration = cancellations.Register(request.RunId);

        // Link tokens only when something besides a cancellation of the run can cancel the body.
        using var linked = timeout is null && !cancellationToken.CanBeCanceled
            ? null
            : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, registration.Token, timeout?.Token ?? CancellationToken.None);

        var steps = new Dictionary<string, FlowValue>(StringComparer.Ordinal);
        foreach (var (name, output) in request.Steps ?? [])
        {
            steps[name] = FlowValue.FromOwned(output);
        }

        List<string>? missing = null;
        StepOutputs outputs = request.OtherStepNames is { Count: > 0 } others
            ? new StepOutputs(steps, others, name =>
            {
                if (cache.TryGet(request.CacheInstance ?? "", request.CacheScope ?? "", name, out var cached))
                {
                    return cached;
                }

                lock (steps)
                {
                    (missing ??= []).Add(name);
                }

                return null;
            })
            : new StepOutputs(steps);

        await using var scope = new StepServices(services);
        var context = new StepContext(
            FlowValue.FromOwned(request.Payload),
            FlowValue.FromOwned(request.Last),
            outputs,
            new RunDetails(request.RunId, request.WorkflowId, request.StartedAt),
            callable.Name,
            scope,
            request.Trigger ?? TriggerInfo.Manual,
            request.Attempt,
            request.Error,
            linked?.Token ?? registration.Token)
        {
            ResumeToken = request.ResumeToken,
        };

        object? value;
        try
        {
            value = await body(context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout?.IsCancellationRequested == true)
        {
            throw new StepTimeoutException($"Step '{callable.Name}' timed out after {TimeSpan.FromMilliseconds(request.TimeoutMs!.Value)}.");
        }
        catch (Exception) when (missing is not null)
        {
            // The body failed after reading an output this host could not supply: run it again with every output.
            throw new StepOutputsMissingException(missing);
        }

        if (missing is not null)
        {
            // The body may have swallowed the miss; its result cannot be trusted.
            throw new StepOutputsMissingException(missing);
        }

        if (value is null)
        {
            return null;
        }

        JsonElement json;
        try
        {
            json = CronflowJson.ToElement(value);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            throw new StepOutputException(
                $"Step '{callable.Name}' returned a {value.GetType().Name} that cannot be serialized to JSON: {ex.Message}", ex);
        }

        if (json.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        CronflowOptions.CheckSize(json, options.MaxOutputBytes, nameof(CronflowOptions.MaxOutputBytes), "The output of step '{0}'", callable.Name);
        return json;
    }
}

/// <summary>Lets a caller cancel the in-process step bodies of a run (their <see cref="StepContext.CancellationToken"/> fires).</summary>
internal sealed class RunCancellations
{
    // One flat set of the step bodies running in this process: registering a step adds one entry. Cancelling a run,
    // which is rare, looks through the steps in flight.
    private readonly ConcurrentDictionary<Registration, byte> _active = new();

    public Registration Register(string runId)
    {
        var registration = new Registration(this, runId);
        _active.TryAdd(registration, 0);
        return registration;
    }

    /// <summary>Cancels every step of <paramref name="runId"/> running in this process.</summary>
    public void Cancel(string runId)
    {
        foreach (var registration in _active.Keys)
        {
            if (string.Equals(registration.RunId, runId, StringComparison.Ordinal))
            {
                registration.Cancel();
            }
        }
    }

    internal sealed class Registration(RunCancellations owner, string runId) : IDisposable
    {
        private readonly CancellationTokenSource _source = new();

        public string RunId { get; } = runId;

        public CancellationToken Token => _source.Token;

        public void Cancel()
        {
            try
            {
                _source.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The step finished while the run was being cancelled.
            }
        }

        public void Dispose()
        {
            owner._active.TryRemove(this, out _);
            _source.Dispose();
        }
    }
}

/// <summary>The dependency-injection scope of one step execution, created when the body first asks for a service.</summary>
internal sealed class StepServices(IServiceProvider root) : IAsyncDisposable
{
    private IServiceScope? _scope;

    public IServiceProvider Provider
    {
        get
        {
            var scope = Volatile.Read(ref _scope);
            if (scope is null)
            {
                // A body may ask from several threads at once: one scope wins, the others are disposed.
                var fresh = root.CreateScope();
                scope = Interlocked.CompareExchange(ref _scope, fresh, null) ?? fresh;
                if (!ReferenceEquals(scope, fresh))
                {
                    fresh.Dispose();
                }
            }

            return scope.ServiceProvider;
        }
    }

    public ValueTask DisposeAsync() => _scope is { } scope ? new AsyncServiceScope(scope).DisposeAsync() : ValueTask.CompletedTask;
}

/// <summary>Replacement bodies for named steps, used by the test harness.</summary>
internal sealed class StepMocks
{
    private readonly Dictionary<(string Workflow, string Step), StepBody> _mocks = [];
    private readonly Dictionary<string, StepBody> _anyWorkflow = new(StringComparer.Ordinal);

    public void Add(string? workflowId, string stepName, StepBody body)
    {
        if (workflowId is null)
        {
            _anyWorkflow[stepName] = body;
        }
        else
        {
            _mocks[(workflowId, stepName)] = body;
        }
    }

    public StepBody? Find(string workflowId, string stepName) =>
        _mocks.TryGetValue((workflowId, stepName), out var body) ? body : _anyWorkflow.GetValueOrDefault(stepName);
}
