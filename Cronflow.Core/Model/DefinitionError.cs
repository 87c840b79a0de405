namespace Cronflow;

/// <summary>One problem found in a workflow definition.</summary>
/// <param name="Code">A stable code such as <c>CRONFLOW0003</c>, catalogued in <c>docs/errors.md</c>.</param>
/// <param name="WorkflowId">The workflow the problem is in.</param>
/// <param name="Path">Where in the definition: a node path such as <c>3/b0/1</c>, or a step name.</param>
/// <param name="Message">A plain sentence describing the problem.</param>
public sealed record DefinitionError(string Code, string WorkflowId, string Path, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{Code} {WorkflowId} at {Path}: {Message}";
}
