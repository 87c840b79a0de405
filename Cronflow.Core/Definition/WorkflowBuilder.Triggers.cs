namespace Cronflow;

/// <summary>Triggers: webhooks, schedules, intervals and events that start the workflow.</summary>
internal sealed partial class WorkflowBuilder
{
    public IWorkflowBuilder OnWebhook(string path, Action<WebhookOptions>? configure = null)
    {
        EnsureOpen();
        var options = new WebhookOptions();
        configure?.Invoke(options);
        var normalized = WebhookPaths.Normalize(path);
        foreach (var problem in WebhookPaths.Validate(normalized, options))
        {
            _validator.Error(ErrorCodes.InvalidWebhook, $"webhook {path}", problem);
        }

        _webhooks.Add(new WebhookTrigger(normalized, options));
        return this;
    }

    public IWorkflowBuilder OnSchedule(string cron, string? timeZone = null)
    {
        EnsureOpen();
        TimeZoneInfo zone = TimeZoneInfo.Utc;
        if (timeZone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out zone!))
        {
            _validator.Error(ErrorCodes.InvalidSchedule, $"schedule {cron}", $"The time zone '{timeZone}' is not known on this machine.");
            zone = TimeZoneInfo.Utc;
        }

        Cronos.CronExpression? expression = null;
        var fields = (cron ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (fields is not (5 or 6))
        {
            _validator.Error(ErrorCodes.InvalidSchedule, $"schedule {cron}", $"The cron expression '{cron}' has {fields} fields; it needs 5 (minute precision) or 6 (with seconds).");
        }
        else
        {
            try
            {
                expression = Cronos.CronExpression.Parse(cron!, fields == 6 ? Cronos.CronFormat.IncludeSeconds : Cronos.CronFormat.Standard);
            }
            catch (Cronos.CronFormatException ex)
            {
                _validator.Error(ErrorCodes.InvalidSchedule, $"schedule {cron}", $"The cron expression '{cron}' is invalid: {ex.Message}");
            }
        }

        if (expression is not null)
        {
            _schedules.Add(new ScheduleTrigger { Cron = cron, TimeZone = zone, Expression = expression });
        }

        return this;
    }

    public IWorkflowBuilder OnInterval(TimeSpan interval)
    {
        EnsureOpen();
        if (interval < TimeSpan.FromSeconds(1))
        {
            _validator.Error(ErrorCodes.InvalidSchedule, $"interval {interval}", $"The interval {interval} is shorter than one second.");
        }
        else
        {
            _schedules.Add(new ScheduleTrigger { Interval = interval });
        }

        return this;
    }

    public IWorkflowBuilder OnEvent(string eventName)
    {
        EnsureOpen();
        if (string.IsNullOrWhiteSpace(eventName) || eventName.Length > 200 || eventName.Contains('/', StringComparison.Ordinal))
        {
            _validator.Error(ErrorCodes.InvalidEventName, $"event {eventName}", $"The event name '{eventName}' must be 1 to 200 characters without '/'.");
        }
        else if (!_events.Contains(eventName))
        {
            _events.Add(eventName);
        }

        return this;
    }
}
