using Cronflow.Functions.Engine;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Cronflow.Functions;

/// <summary>
/// The schedule timer: on each tick it starts every <c>OnSchedule</c>/<c>OnInterval</c> occurrence that is due,
/// with run ids derived from the workflow, the trigger and the occurrence, so each occurrence runs once. Its own
/// schedule is the app setting <c>CronflowScheduleTick</c> (an NCRONTAB expression; every minute in the shipped settings).
/// </summary>
public sealed partial class CronflowScheduleTickFunction(CronflowFunctionsRuntime runtime)
{
    /// <summary>The function name.</summary>
    public const string Name = "CronflowScheduleTick";

    /// <summary>The binding expression of the timer's schedule.</summary>
    public const string Schedule = "%CronflowScheduleTick%";

    /// <summary>
    /// Starts the due occurrences: each occurrence of the catch-up window that has no run yet (the schedule's state is
    /// in the task hub, not in the timer's schedule status).
    /// </summary>
    [Function(Name)]
    public async Task RunAsync([TimerTrigger(Schedule)] TimerInfo timer, [DurableClient] DurableTaskClient client, FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(timer);
        ArgumentNullException.ThrowIfNull(context);
        await runtime.EnsureGatesAsync(client, always: true).ConfigureAwait(false);
        var dispatcher = runtime.CreateDispatcher(client);
        if (!dispatcher.HasSchedules)
        {
            return;
        }

        var result = await dispatcher.TickAsync(context.CancellationToken).ConfigureAwait(false);
        Log.FunctionsScheduleTick(runtime.CreateLogger(Log.SchedulesCategory), result.Started.Count, result.Failed.Count, result.From, result.To);
    }
}
