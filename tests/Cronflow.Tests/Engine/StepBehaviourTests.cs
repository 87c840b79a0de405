using Microsoft.Extensions.DependencyInjection;

namespace Cronflow.Tests.Engine;

public sealed class StepBehaviourTests
{
    [Fact]
    public async Task Retry_SucceedsOnThirdAttempt_RecordsAttempts()
    {
        var wf = Workflow.Define("retry-third")
            .Step("flaky", ctx => ctx.Attempt < 3 ? throw new HttpRequestException($"attempt {ctx.Attempt} failed") : $"ok on {ctx.Attempt}")
            .Retry(3, Backoff.Exponential(TimeSpan.FromMilliseconds(10), max: TimeSpan.FromMilliseconds(50)));

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("ok on 3", run.Output.As<string>());
        Assert.Equal(3, run.Step("flaky").Attempts);
        Assert.Equal(StepStatus.Completed, run.Step("flaky").Status);
    }

    [Fact]
    public async Task Retry_AttemptsExhausted_FailsWithLastError()
    {
        var wf = Workflow.Define("retry-exhausted")
            .Step("always-fails", ctx => (object)(ctx.Attempt > 0 ? throw new HttpRequestException($"attempt {ctx.Attempt}") : 0))
            .Retry(2, Backoff.Fixed(TimeSpan.FromMilliseconds(5)));

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal("attempt 2", run.Error!.Message);
        Assert.Equal(2, run.Step("always-fails").Attempts);
    }

    [Fact]
    public async Task Retry_WithFilter_DoesNotRetryOtherErrors()
    {
        var counter = new AttemptCounter();
        var wf = Workflow.Define("retry-filter")
            .Step("bad-input", ctx =>
            {
                ctx.Services.GetRequiredService<AttemptCounter>().Next("bad-input");
                return (object)(ctx.Attempt > 0 ? throw new ArgumentException("bad order id") : 0);
            })
            .Retry(5, null, typeof(HttpRequestException));

        var run = await wf.TestAsync(null, o => o.Services(s => s.AddSingleton(counter)));

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal("System.ArgumentException", run.Error!.ErrorType);
        Assert.Equal(1, counter.Count("bad-input"));
        Assert.Equal(1, run.Step("bad-input").Attempts);
    }

    [Fact]
    public async Task Retry_WithFilter_RetriesMatchingSubclass()
    {
        var wf = Workflow.Define("retry-subclass")
            .Step("io", ctx => ctx.Attempt == 1 ? throw new FileNotFoundException("missing") : "found")
            .Retry(2, null, typeof(IOException));

        var run = await wf.TestAsync(null);

        Assert.Equal("found", run.Output.As<string>());
        Assert.Equal(2, run.Step("io").Attempts);
    }

    [Fact]
    public async Task Timeout_StepTakesTooLong_FailsStepAndCancelsItsToken()
    {
        var observed = new Signals();
        var wf = Workflow.Define("step-timeout")
            .Step("slow", async ctx =>
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
                }
                catch (OperationCanceledException)
                {
                    ctx.Services.GetRequiredService<Signals>().Set("token-fired");
                    throw;
                }

                return "never";
            })
            .Timeout(TimeSpan.FromMilliseconds(200));

        // A host that stays up until the token was seen: on a loaded machine the body may start only after the timer
        // has decided the run, and must still find its token cancelled.
        await using var host = await CronflowHost.StartAsync(c =>
        {
            c.Services.AddSingleton(observed);
            c.AddWorkflow(wf);
        });
        var run = await host.Client.WaitForRunAsync(await host.Client.TriggerAsync("step-timeout", null), TimeSpan.FromSeconds(30));

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(ErrorCodes.Timeout, run.Error!.Code);
        Assert.Equal("slow", run.Error.Step);
        Assert.Equal("Step 'slow' timed out after 00:00:00.2000000.", run.Error.Message);
        await observed.Wait("token-fired");
    }

    [Fact]
    public async Task OnError_StepFails_HandlerValueBecomesOutputAndRunContinues()
    {
        var wf = Workflow.Define("on-error")
            .Step("fetch", ctx => (object)(ctx.Attempt > 0 ? throw new InvalidOperationException("db offline") : 0))
            .OnError(ctx => new { status = "failed", fallback = true, step = ctx.Error!.Step, message = ctx.Error.Message, type = ctx.Error.ErrorType })
            .Step("next", ctx => ctx.Steps["fetch"].Output["fallback"].As<bool>());

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.True(run.Output.As<bool>());
        var fetch = run.Step("fetch");
        Assert.Equal("fetch", fetch.Output!["step"].As<string>());
        Assert.Equal("db offline", fetch.Output["message"].As<string>());
        Assert.Equal("System.InvalidOperationException", fetch.Output["type"].As<string>());
        Assert.Equal("db offline", fetch.Error!.Message);
    }

    [Fact]
    public async Task Step_ResolvesServiceFromDependencyInjection()
    {
        var wf = Workflow.Define("di")
            .Step("greet", ctx => ctx.Services.GetRequiredService<Greeter>().Greet(ctx.Payload["name"].As<string>()));

        var run = await wf.TestAsync(new { name = "Ada" }, o => o.Services(s => s.AddScoped<Greeter>()));

        Assert.Equal("Hello, Ada", run.Output.As<string>());
    }

    [Fact]
    public async Task Step_ScopedService_OneInstancePerStepDisposedAfterIt()
    {
        var tracker = new ScopeTracker();
        var wf = Workflow.Define("di-scopes")
            .Step("first", ctx => ReferenceEquals(ctx.Services.GetRequiredService<ScopedThing>(), ctx.Services.GetRequiredService<ScopedThing>()))
            .Step("second", ctx => ctx.Services.GetRequiredService<ScopedThing>().Id);

        var run = await wf.TestAsync(null, o => o.Services(s => s.AddSingleton(tracker).AddScoped<ScopedThing>()));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.True(run.Step("first").Output!.As<bool>());
        Assert.Equal(2, tracker.Created);
        Assert.Equal(2, tracker.Disposed);
    }

    [Fact]
    public async Task MockStep_ReplacesStepBody()
    {
        var wf = Workflow.Define("mocked")
            .Step("fetch-order", ctx => (object)(ctx.Attempt > 0 ? throw new InvalidOperationException("real service called") : 0))
            .Step("total", ctx => ctx.Last["amount"].As<int>() * 2);

        var run = await wf.TestAsync(null, o => o.MockStep("fetch-order", new { amount = 21 }));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(42, run.Output.As<int>());
        Assert.Equal(21, run.Step("fetch-order").Output!["amount"].As<int>());
    }

    [Fact]
    public async Task MockStep_WithFunction_SeesContext()
    {
        var wf = Workflow.Define("mocked-fn")
            .Step("fetch-order", ctx => "real")
            .Step("echo", ctx => ctx.Last.As<string>());

        var run = await wf.TestAsync(new { id = "A-7" }, o => o.MockStep("fetch-order", ctx => "mock-" + ctx.Payload["id"].As<string>()));

        Assert.Equal("mock-A-7", run.Output.As<string>());
    }

    [Fact]
    public async Task Step_ReturnsUnserializableValue_FailsNamingStep()
    {
        var wf = Workflow.Define("unserializable")
            .Step("bad-output", ctx => new { type = typeof(int) });

        var run = await wf.TestAsync(null);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(ErrorCodes.OutputNotSerializable, run.Error!.Code);
        Assert.Equal("Cronflow.StepOutputException", run.Error.ErrorType);
        Assert.StartsWith("Step 'bad-output' returned a ", run.Error.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be serialized to JSON", run.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Step_OutputOverLimit_FailsNamingLimit()
    {
        var wf = Workflow.Define("big-output").Step("big", ctx => new string('x', 2000));

        var run = await wf.TestAsync(null, o => o.Engine(e => e.MaxOutputBytes = 1000));

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(ErrorCodes.PayloadTooLarge, run.Error!.Code);
        Assert.Equal("The output of step 'big' is 2002 bytes, over the limit of 1000 bytes (CronflowOptions.MaxOutputBytes).", run.Error.Message);
    }

    [Fact]
    public async Task StepWithoutOutput_OutputIsNull()
    {
        var wf = Workflow.Define("no-output")
            .Step("value", ctx => 5)
            .Step("side-effect", async ctx => await Task.Yield())
            .Step("after", ctx => ctx.Last.IsNull && ctx.Steps["value"].Output.As<int>() == 5);

        var run = await wf.TestAsync(null);

        Assert.True(run.Output.As<bool>());
    }

    public sealed class ScopeTracker
    {
        private int _created;
        private int _disposed;

        public int Created => _created;

        public int Disposed => _disposed;

        public int OnCreated() => Interlocked.Increment(ref _created);

        public void OnDisposed() => Interlocked.Increment(ref _disposed);
    }

    public sealed class ScopedThing(ScopeTracker tracker) : IDisposable
    {
        public int Id { get; } = tracker.OnCreated();

        public void Dispose() => tracker.OnDisposed();
    }

    public sealed class Greeter
    {
        public string Greet(string name) => $"Hello, {name}";
    }
}
