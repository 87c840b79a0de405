namespace Cronflow;

/// <summary>No workflow with the given id is registered.</summary>
public sealed class WorkflowNotFoundException : CronflowException
{
    /// <summary>Creates the exception for <paramref name="workflowId"/>.</summary>
    public WorkflowNotFoundException(string workflowId)
        : base($"No workflow with id '{workflowId}' is registered.") => WorkflowId = workflowId;

    /// <summary>The id that was asked for.</summary>
    public string WorkflowId { get; }
}
