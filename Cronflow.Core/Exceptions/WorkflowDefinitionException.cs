namespace Cronflow;

/// <summary>A workflow definition (or a set of them) is invalid. <see cref="Errors"/> lists every problem found.</summary>
public sealed class WorkflowDefinitionException : CronflowException
{
    /// <summary>Creates the exception from the problems found.</summary>
    public WorkflowDefinitionException(IReadOnlyList<DefinitionError> errors)
        : base(Format(errors)) => Errors = errors;

    /// <summary>Every problem found, in definition order.</summary>
    public IReadOnlyList<DefinitionError> Errors { get; }

    private static string Format(IReadOnlyList<DefinitionError> errors) =>
        errors.Count == 1
            ? $"Invalid workflow definition: {errors[0]}"
            : $"Invalid workflow definition ({errors.Count} problems):{Environment.NewLine}  " +
              string.Join(Environment.NewLine + "  ", errors);
}
