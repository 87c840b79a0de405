namespace Cronflow;

/// <summary>The entry point for defining workflows.</summary>
public static class Workflow
{
    /// <summary>Starts the definition of a workflow.</summary>
    /// <param name="id">A unique id: 1 to 100 letters, digits, '-', '_' or '.' (kebab-case is customary).</param>
    /// <param name="configure">Sets the workflow's options (name, description, tags, timeout, concurrency, hooks).</param>
    /// <example>
    /// <code>
    /// var wf = Workflow.Define("orders", o => o.Timeout = TimeSpan.FromMinutes(10))
    ///     .Step("fetch", async ctx => await orders.Get(ctx.Payload["id"].As&lt;string&gt;()))
    ///     .Step("confirm", ctx => new { confirmed = true });
    /// </code>
    /// </example>
    public static IWorkflowBuilder Define(string id, Action<WorkflowOptions>? configure = null)
    {
        var options = new WorkflowOptions();
        configure?.Invoke(options);
        return WorkflowBuilder.ForWorkflow(id, options);
    }
}
