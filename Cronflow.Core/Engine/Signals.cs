namespace Cronflow;

/// <summary>A <c>Cancel</c> step ended the run.</summary>
internal sealed class RunCancelledSignal(StepError error) : Exception(error.Message)
{
    public StepError Error { get; } = error;
}

/// <summary>The history being replayed does not match the current definition; the run fails with a versioning error.</summary>
internal sealed class ReplayMismatchSignal(StepError error) : Exception(error.Message)
{
    public StepError Error { get; } = error;
}

/// <summary>A loop asked for the run to continue as new with this input.</summary>
internal sealed class ContinueAsNewSignal(RunInput input) : Exception("continue as new")
{
    public RunInput Input { get; } = input;
}

/// <summary>The output of a human-in-the-loop step.</summary>
internal sealed record HumanDecision(bool Approved, string? Reason, string? ApprovedBy, DateTimeOffset? ApprovedAt, string Status, bool TimedOut);

/// <summary>A node failed; carries the error as data, the way failures cross the activity boundary.</summary>
internal sealed class NodeFailure(StepError error) : Exception(error.Message)
{
    public StepError Error { get; } = error;
}
