using Azure;
using Azure.Storage.Queues.Models;
using DurableTask.Core;
using DurableTask.Core.Exceptions;

namespace Cronflow.Hosting;

/// <summary>
/// Keeps one failed work item from slowing every run on the host: the engine's dispatchers back off at most 1 s after
/// a failure, and not at all when the work item failed only because its queue message was delivered again.
/// </summary>
/// <remarks>
/// <para>
/// When processing a work item throws, DurableTask.Core asks the service how long to back off, and the Azure Storage
/// backend answers 10 s for every exception. The backoff is not the failed work item's: the dispatcher (one per host
/// for orchestrations, one for steps) then waits that long after <em>each</em> fetch, until five work items have
/// succeeded since the last failure, so one failed commit makes the host start one episode per 10 s for a while (50 s
/// when nothing else is in flight).
/// </para>
/// <para>
/// Under load that turns into a stall. Messages the backend has already taken from a control queue wait in its
/// buffer for the slowed dispatcher; their visibility timeout runs out, the queue hands them out again with a new
/// pop receipt, and the episode that processes the old copy cannot delete or abandon it ("the specified pop receipt
/// did not match", or the message is gone), or loses its history write to the other copy (a
/// <see cref="SessionAbortedException"/>). Each such failure arms the backoff again. None of them is a storage fault:
/// the episode's history is saved or the other copy wins, the redelivered copy is processed next, and a repeated
/// result is dropped (<see cref="DuplicateResultFilter"/>). For them this wrapper answers 0 s.
/// </para>
/// <para>
/// For any other failure it answers the backend's delay, cut to <see cref="MaxDelaySeconds"/>. The failed work item
/// keeps its own, growing backoff (the backend abandons its messages with a visibility delay of 2^(dequeue count)
/// seconds), so a run whose commits keep failing is retried more and more slowly while the others go on; in a storage
/// outage the dispatchers still pause after each failure, and failed fetches keep the backend's own delay (except
/// for the same redelivery failures, which a fetch can meet too). See docs/azurite-stalls.md.
/// </para>
/// </remarks>
internal sealed class DispatcherBackoffLimit(IOrchestrationService inner) : DelegatingOrchestrationService(inner)
{
    /// <summary>The longest pause after a failed work item, in seconds (the backend's answer, 10 s, is cut to this).</summary>
    internal const int MaxDelaySeconds = 1;

    public override int GetDelayInSecondsAfterOnProcessException(Exception exception) =>
        IsRedelivery(exception) ? 0 : Math.Min(MaxDelaySeconds, base.GetDelayInSecondsAfterOnProcessException(exception));

    /// <summary>
    /// A fetch can fail the same way (the backend abandons or deletes messages of a work item it will not hand out):
    /// no pause then either. Any other failed fetch keeps the backend's delay, which is what slows the dispatchers in a
    /// storage outage.
    /// </summary>
    public override int GetDelayInSecondsAfterOnFetchException(Exception exception) =>
        IsRedelivery(exception) ? 0 : base.GetDelayInSecondsAfterOnFetchException(exception);

    /// <summary>
    /// Whether <paramref name="exception"/> (or an exception it wraps) says that the work item's message was handed
    /// out again or already deleted, or that another delivery of it committed first.
    /// </summary>
    internal static bool IsRedelivery(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SessionAbortedException:
                    return true;
                case RequestFailedException failed when
                    failed.ErrorCode == QueueErrorCode.PopReceiptMismatch
                    || failed.ErrorCode == QueueErrorCode.MessageNotFound:
                    return true;
            }
        }

        return false;
    }
}
