using System.CommandLine;
using Cronflow.Local;
using Cronflow.Samples;

namespace Cronflow.Tests.Cli;

/// <summary>The <c>cronflow</c> command line: what it parses, and the client commands against a real local host.</summary>
/// <remarks>The tests set CRONFLOW_* variables, which only the command line reads; tests of one class run one at a time.</remarks>
public sealed class CronflowCommandLineTests
{
    private static ParseResult Parse(params string[] args) => CronflowCommandLine.Create().Parse(args);

    [Fact]
    public void Parse_TriggerWithFollowPayloadAndUrl_BindsEveryValue()
    {
        var result = Parse("trigger", "sample-data-fetching", "--follow", "--payload", """{"a":1}""", "--url", "http://10.0.0.5:8080");

        Assert.Empty(result.Errors);
        Assert.Equal("trigger", result.CommandResult.Command.Name);
        Assert.Equal("sample-data-fetching", result.GetValue<string>("workflow"));
        Assert.True(result.GetValue<bool>("--follow"));
        Assert.Equal("""{"a":1}""", result.GetValue<string>("--payload"));
        Assert.Equal("http://10.0.0.5:8080", result.GetValue<string>("--url"));
    }

    [Fact]
    public void Parse_NoUrl_UsesCronflowUrlVariableElseLocalHost()
    {
        var defaulted = WithVariables(new() { ["CRONFLOW_URL"] = null }, () => Parse("show", "r-1").GetValue<string>("--url"));
        var fromEnvironment = WithVariables(new() { ["CRONFLOW_URL"] = "http://remote:9000" }, () => Parse("show", "r-1").GetValue<string>("--url"));

        Assert.Equal("http://127.0.0.1:7071", defaulted);
        Assert.Equal("http://remote:9000", fromEnvironment);
    }

    [Fact]
    public void Parse_ServeWithOptions_BindsEveryOption()
    {
        var result = Parse("serve", "--in-memory", "--connection", "UseDevelopmentStorage=true;x=1", "--task-hub", "hub2", "--otel-console", "--url", "http://127.0.0.1:0");

        Assert.Empty(result.Errors);
        Assert.Equal("serve", result.CommandResult.Command.Name);
        Assert.True(result.GetValue<bool>("--in-memory"));
        Assert.Equal("UseDevelopmentStorage=true;x=1", result.GetValue<string>("--connection"));
        Assert.Equal("hub2", result.GetValue<string>("--task-hub"));
        Assert.True(result.GetValue<bool>("--otel-console"));
        Assert.Equal("http://127.0.0.1:0", result.GetValue<string>("--url"));
    }

    [Fact]
    public void Parse_ServeWithoutOptions_TakesConnectionAndTaskHubFromEnvironmentElseDefaults()
    {
        var variables = new Dictionary<string, string?> { ["CRONFLOW_CONNECTION"] = "UseDevelopmentStorage=true;p=2", ["CRONFLOW_TASK_HUB"] = "fromenv" };
        var (connection, taskHub) = WithVariables(variables, () =>
        {
            var result = Parse("serve");
            return (result.GetValue<string>("--connection"), result.GetValue<string>("--task-hub"));
        });
        var defaults = WithVariables(new() { ["CRONFLOW_CONNECTION"] = null, ["CRONFLOW_TASK_HUB"] = null }, () =>
        {
            var result = Parse("serve");
            return (Connection: result.GetValue<string>("--connection"), TaskHub: result.GetValue<string>("--task-hub"), InMemory: result.GetValue<bool>("--in-memory"));
        });

        Assert.Equal("UseDevelopmentStorage=true;p=2", connection);
        Assert.Equal("fromenv", taskHub);
        Assert.Equal("UseDevelopmentStorage=true", defaults.Connection);
        Assert.Equal("cronflow", defaults.TaskHub);
        Assert.False(defaults.InMemory);
    }

    [Fact]
    public void Parse_ApiKeyOnCommandLine_IsRefusedWithReason()
    {
        var result = Parse("runs", "--api-key", "secret-on-the-command-line");

        var error = Assert.Single(result.Errors);
        Assert.StartsWith("--api-key is not accepted", error.Message, StringComparison.Ordinal);
        Assert.Contains("CRONFLOW_API_KEY", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RunsFilters_ParseStatusAndCheckLimit()
    {
        var result = Parse("runs", "--workflow", "orders", "--status", "waiting", "--limit", "20");
        var badStatus = Parse("runs", "--status", "sleeping");
        var badLimit = Parse("runs", "--limit", "5000");

        Assert.Empty(result.Errors);
        Assert.Equal("orders", result.GetValue<string>("--workflow"));
        Assert.Equal(RunStatus.Waiting, result.GetValue<RunStatus?>("--status"));
        Assert.Equal(20, result.GetValue<int>("--limit"));
        Assert.NotEmpty(badStatus.Errors);
        Assert.Equal("--limit must be from 1 to 1000.", Assert.Single(badLimit.Errors).Message);
    }

    [Fact]
    public void Parse_CancelPurgeResumeShow_NeedTheirArgumentAndTakeTheirOptions()
    {
        var cancel = Parse("cancel", "r-1", "--reason", "not needed");
        var purge = Parse("purge", "r-2");
        var resume = Parse("resume", "tok-1");
        var resumeWithPayload = Parse("resume", "tok-1", "--payload", """{"approved":false}""");

        Assert.Equal("r-1", cancel.GetValue<string>("run-id"));
        Assert.Equal("not needed", cancel.GetValue<string>("--reason"));
        Assert.Equal("r-2", purge.GetValue<string>("run-id"));
        Assert.Equal("tok-1", resume.GetValue<string>("token"));
        Assert.Equal("""{"approved":true}""", resume.GetValue<string>("--payload"));
        Assert.Equal("""{"approved":false}""", resumeWithPayload.GetValue<string>("--payload"));
        Assert.NotEmpty(Parse("cancel").Errors);
        Assert.NotEmpty(Parse("purge").Errors);
        Assert.NotEmpty(Parse("show").Errors);
        Assert.NotEmpty(Parse("resume").Errors);
    }

    [Fact]
    public void Parse_UnknownOptionOrBadUrl_IsAnError()
    {
        Assert.NotEmpty(Parse("trigger", "wf", "--folow").Errors);
        Assert.NotEmpty(Parse("runs", "--url", "not-a-url").Errors);
        Assert.NotEmpty(Parse("frobnicate").Errors);
    }

    [Fact]
    public void ApiKey_FileOrVariable_FileWinsAndEmptyFileIsRefused()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "  key-from-file-0123456789\n");
            var fromFile = WithVariables(new() { ["CRONFLOW_API_KEY"] = "key-from-variable" }, () => CronflowCommandLine.ApiKey(file));
            var fromVariable = WithVariables(new() { ["CRONFLOW_API_KEY"] = "key-from-variable" }, () => CronflowCommandLine.ApiKey(null));
            var none = WithVariables(new() { ["CRONFLOW_API_KEY"] = null }, () => CronflowCommandLine.ApiKey(null));
            File.WriteAllText(file, "\n");

            Assert.Equal("key-from-file-0123456789", fromFile);
            Assert.Equal("key-from-variable", fromVariable);
            Assert.Null(none);
            Assert.Throws<ArgumentException>(() => CronflowCommandLine.ApiKey(file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task RunAsync_ClientCommandsAgainstLocalHost_FollowShowListCancelPurgeAndResume()
    {
        const string key = "cli-end-to-end-key-0123456789";
        await using var host = await CronflowHost.StartAsync(
            c =>
            {
                c.AddWorkflow(SampleWorkflows.DataFetching);
                c.AddWorkflow(Workflow.Define("waits").WaitForEvent("go").Step("done", ctx => "done"));
                c.Services.AddSampleServices();
            },
            o =>
            {
                o.ListenOn("http://127.0.0.1:0");
                o.ApiKey = key;
            });
        var url = host.Urls.Single();

        await WithVariablesAsync(new() { ["CRONFLOW_API_KEY"] = key, ["CRONFLOW_URL"] = url }, async () =>
        {
            var (followCode, follow, _) = await RunAsync("trigger", SampleWorkflowIds.DataFetching, "--follow");
            var runId = StartedRunId(follow);
            var (showCode, show, _) = await RunAsync("show", runId);
            var (runsCode, runs, _) = await RunAsync("runs", "--workflow", SampleWorkflowIds.DataFetching);
            var (_, started, _) = await RunAsync("trigger", "waits", "--payload", "null");
            var waiting = StartedRunId(started);
            await Engine.RunWaits.WaitForStatus(host.Client, waiting, RunStatus.Waiting);
            var (cancelCode, _, _) = await RunAsync("cancel", waiting, "--reason", "from the cli");
            var cancelled = await host.Client.WaitForRunAsync(waiting, TimeSpan.FromSeconds(30));
            var (purgeCode, purged, _) = await RunAsync("purge", waiting);
            var (purgeAgainCode, _, purgeAgainError) = await RunAsync("purge", waiting);
            var (resumeCode, _, resumeError) = await RunAsync("resume", "not-a-token");
            var (unknownCode, _, unknownError) = await RunAsync("show", "no-such-run");

            Assert.Equal(0, followCode);
            Assert.Contains("  + fetch-all (parallel) completed in ", follow, StringComparison.Ordinal);
            Assert.Contains("  + combine-data (step) completed in ", follow, StringComparison.Ordinal);
            Assert.Contains($"Run {runId} of {SampleWorkflowIds.DataFetching}: Completed", follow, StringComparison.Ordinal);
            Assert.Contains("  output: {\"combined\":true", follow, StringComparison.Ordinal);
            Assert.Equal(0, showCode);
            Assert.Contains($"Run {runId} of {SampleWorkflowIds.DataFetching}: Completed", show, StringComparison.Ordinal);
            Assert.Contains("combine-data", show, StringComparison.Ordinal);
            Assert.Equal(0, runsCode);
            Assert.Contains(runId, runs, StringComparison.Ordinal);
            Assert.Equal(0, cancelCode);
            Assert.Equal(RunStatus.Cancelled, cancelled.Status);
            Assert.Contains("from the cli", cancelled.Error?.Message, StringComparison.Ordinal);
            Assert.Equal(0, purgeCode);
            Assert.Equal($"Purged run {waiting}.", purged.Trim());
            Assert.Null(await host.Client.GetRunAsync(waiting));
            Assert.Equal(1, purgeAgainCode);
            Assert.StartsWith($"cronflow: No run with id '{waiting}' exists.", purgeAgainError, StringComparison.Ordinal);
            Assert.Equal(1, resumeCode);
            Assert.StartsWith("cronflow: No run is waiting on this resume token", resumeError, StringComparison.Ordinal);
            Assert.Equal(1, unknownCode);
            Assert.StartsWith("cronflow: No run with id 'no-such-run' exists.", unknownError, StringComparison.Ordinal);
        });

        var (keylessCode, _, keylessError) = await WithVariablesAsync(new() { ["CRONFLOW_API_KEY"] = null }, () => RunAsync("runs", "--url", url));
        Assert.Equal(1, keylessCode);
        Assert.StartsWith("cronflow: This route needs an API key", keylessError, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CronflowCommandLine.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static string StartedRunId(string output)
    {
        var line = output.Split('\n').First(l => l.StartsWith("Started run ", StringComparison.Ordinal));
        return line["Started run ".Length..line.IndexOf(" of ", StringComparison.Ordinal)];
    }

    private static T WithVariables<T>(Dictionary<string, string?> variables, Func<T> action) =>
        WithVariablesAsync(variables, () => Task.FromResult(action())).GetAwaiter().GetResult();

    private static async Task<T> WithVariablesAsync<T>(Dictionary<string, string?> variables, Func<Task<T>> action)
    {
        var saved = variables.Keys.ToDictionary(name => name, Environment.GetEnvironmentVariable);
        try
        {
            foreach (var (name, value) in variables)
            {
                Environment.SetEnvironmentVariable(name, value);
            }

            return await action();
        }
        finally
        {
            foreach (var (name, value) in saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }

    private static async Task WithVariablesAsync(Dictionary<string, string?> variables, Func<Task> action) =>
        await WithVariablesAsync(variables, async () =>
        {
            await action();
            return true;
        });
}
