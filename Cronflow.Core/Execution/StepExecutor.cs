using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Cronflow;

/// <summary>
/// Runs one step body for the step activity: finds the body in the definition, builds its <see cref="StepContext"/>
/// (with a DI scope and a cancellation token, each made when the body first asks for it), enforces the step timeout
/// through that token, and turns the result into JSON (checking its size). Exceptions propagate: the activity
/// boundary records them as failure details.
/// </summary>
internal sealed class StepExecutor(WorkflowRegistry registry, IServiceProvider services, CronflowOptions options, RunCancellations cancellations, IStepOutputStore? store = null)
{
    private readonly StepMocks? _mocks = services.GetService<StepMocks>();
    private readonly TimeProvider _time = services.GetService<TimeProvider>() ?? TimeProvider.System;

    /// <summary>Runs a step (or draws a pause's resume secret, for requests whose path ends in <see cref="ResumeTokens.SecretSuffix"/>).</summary>
    /// <param name="request">The step request.</param>
    /// <param name="watch">
    /// Where the step's token learns that the run was cancelled or the step abandoned, whichever host decided it; the
    /// embedded host's watch (<see cref="RunCancellations.Watch"/>) when null.
    /// </param>
    /// <param name="cancellationToken">The host's token for this execution.</param>
    public async Task<StepOutcome> ExecuteAsync(StepRequest request, IStepWatch? watch = null, CancellationToken cancellationToken = default) =>
        request.Path.EndsWith(ResumeTokens.SecretSuffix, StringComparison.Ordinal)
            ? new() { Path = request.Path, Output = JsonSerializer.SerializeToElement(NewResumeSecret()) }
            : request.Read is { } reference
            ? new() { Path = request.Path, Output = Read(request.RunId, request.Instance ?? request.RunId, reference).Json }
            : await StoreAsync(request, await RunBodyAsync(request, watch ?? cancellations.Watch, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// The step's outcome, its output put into the output store when it is larger than the request allows inline:
    /// later steps then receive its key instead of the value (see <see cref="IStepOutputStore"/>).
    /// </summary>
    private async Task<StepOutcome> StoreAsync(StepRequest request, JsonElement? output, CancellationToken cancellationToken)
    {
        var outcome = new StepOutcome { Path = request.Path, Output = output };
        if (output is { } json && request.StoreAbove is { } above && store is not null
            && System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(json).Length > above)
        {
            outcome.Key = StepOutputKeys.Id(await store.PutAsync(request.RunId, request.Instance ?? request.RunId, json, cancellationToken).ConfigureAwait(false));
        }

        return outcome;
    }

    private JsonElement Read(string key) =>
        store is null
            ? throw new StepOutputUnavailableException(key, "this host has no output store")
            : store.Get(key);

    /// <summary>The output a request's reference names (a composite one is read part by part, see <see cref="StepOutputKeys.Composite"/>).</summary>
    private FlowValue Read(string runId, string instanceId, string reference) =>
        StepOutputKeys.IsComposite(reference)
            ? FlowValues.Array(StepOutputKeys.Parts(reference).Select(part => Read(runId, instanceId, part)).ToList())
            : FlowValue.FromOwned(Read(StepOutputKeys.Resolve(runId, instanceId, reference)));

    /// <summary>A pause's secret: 256 bits from the cryptographic generator, drawn here so that the run's history records it.</summary>
    private static string NewResumeSecret() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(ResumeTokens.SecretBytes));

    /// <summary>
    /// The step's own timeout: from the deadline the orchestration set when it scheduled the step (already passed when
    /// the request waited in the queue longer than the timeout), or, for requests without one, from now.
    /// </summary>
    private CancellationTokenSource? TimeoutSource(StepRequest request)
    {
        TimeSpan left;
        if (request.Deadline is { } deadline)
        {
            left = deadline - _time.GetUtcNow();
        }
        else if (request.TimeoutMs is { } ms)
        {
            left = TimeSpan.FromMilliseconds(ms);
        }
        else
        {
            return null;
        }

        if (left > TimeSpan.Zero)
        {
            return new CancellationTokenSource(left, _time);
        }

        var passed = new CancellationTokenSource();
        passed.Cancel();
        return passed;
    }

    private async Task<JsonElement?> RunBodyAsync(StepRequest request, IStepWatch? watch, CancellationToken cancellationToken)
    {
        var definition = registry.Get(request.WorkflowId);
        var callable = definition.Resolve(request.Path, request.ItemChain)
            ?? throw new CronflowException(
                $"Workflow '{request.WorkflowId}' has no step at {request.Path} ('{request.Name}'); the definition changed while the run was in flight.");
        var body = _mocks?.Find(request.WorkflowId, callable.Name) ?? callable.Body;

        using var timeout = TimeoutSource(request);
        using var cancellation = new StepCancellation(cancellations, request.RunId, timeout, cancellationToken)
        {
            Watch = watch is null || request.Call is null ? null : new StepWatchTarget(watch, request.Instance ?? request.RunId, request.Call.Value, options.CancellationCheckInterval, _time),
        };

        var steps = new Dictionary<string, FlowValue>(StringComparer.Ordinal);
        foreach (var (name, output) in request.Steps ?? [])
        {
            steps[name] = FlowValue.FromOwned(output);
        }

        // Stored outputs (and Last, when it is one) are read when the body first touches them. A read that fails fails
        // the step, even when the body swallows the error: its result cannot be trusted.
        StepOutputUnavailableException? unavailable = null;
        var instance = request.Instance ?? request.RunId;
        FlowValue ReadReference(string reference)
        {
            try
            {
                return Read(request.RunId, instance, reference);
            }
            catch (StepOutputUnavailableException ex)
            {
                unavailable ??= ex;
                throw;
            }
        }

        StepOutputs outputs = request.StepKeys is { Count: > 0 } keys
            ? new StepOutputs(steps, keys.Keys, name => ReadReference(keys[name]))
            : new StepOutputs(steps);
        // A stored payload is read, like a stored output, when the body first touches it (ctx.Payload, or ctx.Last when
        // Last is the payload): once for both.
        FlowValue? payloadValue = null;
        FlowValue Payload() => payloadValue ??= request.PayloadKey is { } payloadKey ? ReadReference(payloadKey) : FlowValue.FromOwned(request.Payload);
        Func<FlowValue> last = request switch
        {
            { LastKey: { } lastKey } => () => ReadReference(lastKey),
            { LastIs: StepRequest.LastIsPayload } => Payload,
            { LastIs: StepRequest.LastIsItem, ItemChain: [.., var item] } => () => FlowValue.FromOwned(item),
            { LastIs: var lastIs } when StepRequest.LastStep(lastIs) is { } step => () => steps.TryGetValue(step, out var output)
                ? output
                : throw new CronflowException($"The request of step '{request.Name}' names the output of step '{step}' as Last, but does not carry it."),
            _ => () => FlowValue.FromOwned(request.Last),
        };

        var scope = new StepServices(services);
        await using var disposeScope = scope.ConfigureAwait(false);
        var context = new StepContext(
            Payload,
            last,
            outputs,
            new RunDetails(request.RunId, request.WorkflowId, request.StartedAt),
            callable.Name,
            scope,
            request.Trigger ?? TriggerInfo.Manual,
            request.Attempt,
            request.Error,
            cancellation)
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
            throw new StepTimeoutException($"Step '{callable.Name}' timed out after {TimeSpan.FromMilliseconds(request.TimeoutMs ?? 0)}.");
        }

        if (unavailable is not null)
        {
            throw new StepOutputUnavailableException(unavailable.Key, "the step went on without it", unavailable);
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
/// <remarks>
/// A step is registered only when its body first reads its cancellation token (most bodies never do), so the usual
/// step costs nothing here. Cancelled runs are remembered (the most recent <see cref="RememberedRuns"/>), so that a
/// body reading its token after the run was cancelled gets a cancelled token.
/// </remarks>
internal sealed class RunCancellations
{
    internal const int RememberedRuns = 10_000;

    // One flat set of the registered steps running in this process. Cancelling a run, which is rare, looks through them.
    private readonly ConcurrentDictionary<long, Registration> _active = new();
    private readonly ConcurrentDictionary<string, byte> _cancelled = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _cancelledOrder = new();
    private long _nextId;

    /// <summary>
    /// How the embedded host's step tokens learn of cancellations and abandoned steps decided elsewhere (another host,
    /// a block that timed out): the host's client, set when the host starts.
    /// </summary>
    public IStepWatch? Watch { get; set; }

    public Registration Register(string runId)
    {
        var registration = new Registration(this, runId, Interlocked.Increment(ref _nextId));
        _active.TryAdd(registration.Id, registration);

        // Cancel adds the run here before it looks through the steps: one of the two sees the other.
        if (_cancelled.ContainsKey(runId))
        {
            registration.Cancel();
        }

        return registration;
    }

    /// <summary>Cancels every step of <paramref name="runId"/> running in this process, and any that reads its token later.</summary>
    public void Cancel(string runId)
    {
        if (_cancelled.TryAdd(runId, 0))
        {
            _cancelledOrder.Enqueue(runId);
            while (_cancelled.Count > RememberedRuns && _cancelledOrder.TryDequeue(out var oldest))
            {
                _cancelled.TryRemove(oldest, out _);
            }
        }

        foreach (var registration in _active.Values)
        {
            if (string.Equals(registration.RunId, runId, StringComparison.Ordinal))
            {
                registration.Cancel();
            }
        }
    }

    internal sealed class Registration(RunCancellations owner, string runId, long id) : IDisposable
    {
        private readonly CancellationTokenSource _source = new();

        public long Id { get; } = id;

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
            owner._active.TryRemove(Id, out _);
            _source.Dispose();
        }
    }
}

/// <summary>
/// The cancellation token of one step execution, made when the body first asks for it: it fires when the run is
/// cancelled (in this process at once; elsewhere through <see cref="Watch"/>), when the orchestration abandons the step
/// (<see cref="Watch"/>), when the step times out, or when the caller's token fires.
/// </summary>
internal sealed class StepCancellation(RunCancellations runs, string runId, CancellationTokenSource? timeout, CancellationToken outer) : IDisposable
{
    private readonly Lock _gate = new();
    private RunCancellations.Registration? _registration;
    private CancellationTokenSource? _linked;
    private CancellationTokenSource? _watching;
    private bool _disposed;

    /// <summary>Where to check, while the body runs, whether the step is still wanted; null to check nothing.</summary>
    public StepWatchTarget? Watch { get; init; }

    public CancellationToken Token
    {
        get
        {
            lock (_gate)
            {
                if (_disposed)
                {
                    // Asked for after the step ended: the step is over, as a token that has fired says.
                    return new CancellationToken(canceled: true);
                }

                if (_registration is null)
                {
                    _registration = runs.Register(runId);
                    if (timeout is not null || outer.CanBeCanceled)
                    {
                        _linked = CancellationTokenSource.CreateLinkedTokenSource(outer, _registration.Token, timeout?.Token ?? CancellationToken.None);
                    }

                    if (Watch is { } watch)
                    {
                        // Checks in the background until the step ends; an abandoned step's registration is cancelled.
                        _watching = new CancellationTokenSource();
                        _ = watch.RunAsync(_registration, _watching.Token);
                    }
                }

                return _linked?.Token ?? _registration.Token;
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _linked?.Dispose();
            try
            {
                _watching?.Cancel();
            }
            finally
            {
                _watching?.Dispose();
                _registration?.Dispose();
            }
        }
    }
}

/// <summary>Tells a step host whether the orchestration that scheduled a step still wants its result.</summary>
internal interface IStepWatch
{
    /// <summary>
    /// True when the step is no longer wanted: the instance has ended or been cancelled (terminated), has decided its
    /// outcome while the step ran, or lists <paramref name="call"/> among the calls its decided blocks abandoned.
    /// </summary>
    Task<bool> IsStepAbandonedAsync(string instanceId, int call);
}

/// <summary>One step's watch: checks its instance at once, then every <c>interval</c>, until the step is abandoned or ends.</summary>
internal sealed class StepWatchTarget(IStepWatch watch, string instanceId, int call, TimeSpan interval, TimeProvider time)
{
    /// <summary>Checks until the step is abandoned (then cancels <paramref name="registration"/>) or <paramref name="stop"/> fires.</summary>
    public async Task RunAsync(RunCancellations.Registration registration, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                bool abandoned;
                try
                {
                    abandoned = await watch.IsStepAbandonedAsync(instanceId, call).WaitAsync(stop).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The backend could not be read (an outage, say): the step goes on, and the next check tries again.
                    abandoned = false;
                }

                if (abandoned)
                {
                    registration.Cancel();
                    return;
                }

                await Task.Delay(interval, time, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The step ended.
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
