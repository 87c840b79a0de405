namespace Cronflow.Tests.Definition;

/// <summary>
/// Helpers shared by the definition tests. The validation tests hold one or more tests per definition error code
/// (CRONFLOW0001–CRONFLOW0025); codes 0022 (unknown subflow) and 0024 (invalid while) belong to node kinds the builder
/// does not offer yet and have no test.
/// </summary>
internal static class DefinitionTestHelpers
{
    /// <summary>The workflow id of the validation tests.</summary>
    public const string Id = "wf";

    public static Task<object?> Branch(StepContext context) => Task.FromResult<object?>(1);

    public static IReadOnlyList<DefinitionError> Errors(IWorkflowBuilder workflow) =>
        Assert.Throws<WorkflowDefinitionException>(() => workflow.Build()).Errors;

    public static DefinitionError SingleError(IWorkflowBuilder workflow) => Assert.Single(Errors(workflow));

    public static void AssertError(DefinitionError error, string code, string path, params string[] words) =>
        AssertErrorIn(error, code, Id, path, words);

    public static void AssertErrorIn(DefinitionError error, string code, string workflowId, string path, params string[] words)
    {
        Assert.Equal(code, error.Code);
        Assert.Equal(workflowId, error.WorkflowId);
        Assert.Equal(path, error.Path);
        foreach (var word in words)
        {
            Assert.Contains(word, error.Message, StringComparison.Ordinal);
        }
    }
}
