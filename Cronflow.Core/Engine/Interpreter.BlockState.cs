namespace Cronflow;

internal sealed partial class Interpreter
{
    /// <summary>Lets a timeout report the branch outcomes of the block it interrupted.</summary>
    private sealed class BlockState
    {
        public Func<List<BranchOutcome>>? Snapshot { get; set; }

        /// <summary>When the current attempt's timeout ends it, if the node has one.</summary>
        public DateTimeOffset? Deadline { get; set; }

        /// <summary>
        /// Work that earlier attempts left running (a body that outlived its timeout, the other branches of a failed
        /// block): activities cannot be stopped, so the next attempt counts it against its window until it ends.
        /// </summary>
        public List<Task> Leftovers { get; } = [];

        /// <summary>The current attempt's tasks in flight, for a timeout to hand on as leftovers.</summary>
        public Func<List<Task>>? InFlight { get; set; }

        /// <summary>A continued loop's deadline, used by its first attempt in this execution instead of a new one.</summary>
        public DateTimeOffset? ResumeDeadline { get; set; }

        /// <summary>A continued loop's iteration count, taken by its first attempt in this execution.</summary>
        public int? ResumeIteration { get; set; }

        /// <summary><c>Last</c> before a loop's first attempt: where a retried attempt starts over.</summary>
        public FlowValue? LoopStart { get; set; }
    }
}
