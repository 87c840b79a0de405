using System.Text.Json;

namespace Cronflow;

/// <summary>Run slots of a workflow with a concurrency limit: asked of and given back to its <see cref="ConcurrencyGate"/>.</summary>
internal sealed partial class Interpreter
{
    /// <summary>Waits for a slot from the workflow's concurrency gate; the run shows as Pending meanwhile.</summary>
    private async Task AcquireSlotAsync(WorkflowDefinition definition)
    {
        _progress.Queued = true;
        _progress.WaitingFor = $"a run slot (workflow '{definition.Id}' runs at most {definition.Concurrency} at once)";
        var gate = ConcurrencyGate.InstanceId(definition.Id);
        var request = new GateMessage { Op = GateMessage.Acquire, RunId = _context.InstanceId };
        using var slotWait = new CancellationTokenSource();
        var slot = _context.WaitForExternalEvent<JsonElement?>(ConcurrencyGate.SlotEvent, slotWait.Token);

        // A request sent before the gate existed (a host that has not started it yet) is lost, so an unanswered request
        // is repeated, at growing intervals. Once the gate answers that it has queued the run, the run only waits,
        // repeating its request once a day in case the gate was reset: a week in the queue costs a few dozen history
        // events, not thousands. The gate ignores requests it already holds.
        var giveUpAt = _context.CurrentUtcDateTime + ConcurrencyGate.MaxWait;
        var interval = ConcurrencyGate.RequestInterval;
        while (!slot.IsCompleted && _context.CurrentUtcDateTime < giveUpAt)
        {
            _context.SendEvent(gate, ConcurrencyGate.GateEvent, request);
            _requestedSlot = true;
            using var queuedWait = new CancellationTokenSource();
            using var retry = new CancellationTokenSource();
            var queued = _context.WaitForExternalEvent<JsonElement?>(ConcurrencyGate.QueuedEvent, queuedWait.Token);
            var timer = _context.CreateTimer(Earliest(_context.CurrentUtcDateTime + interval, giveUpAt), retry.Token);
            var winner = await Task.WhenAny(slot, queued, timer);
            if (winner == timer)
            {
                queuedWait.Cancel();
                interval = interval * 2 < ConcurrencyGate.MaxRequestInterval ? interval * 2 : ConcurrencyGate.MaxRequestInterval;
                continue;
            }

            retry.Cancel();
            if (winner == slot)
            {
                queuedWait.Cancel();
                break;
            }

            using var queuedRetry = new CancellationTokenSource();
            var recheck = _context.CreateTimer(Earliest(_context.CurrentUtcDateTime + ConcurrencyGate.QueuedRequestInterval, giveUpAt), queuedRetry.Token);
            if (await Task.WhenAny(slot, recheck) == slot)
            {
                queuedRetry.Cancel();
            }

            interval = ConcurrencyGate.RequestInterval;
        }

        if (!slot.IsCompleted)
        {
            slotWait.Cancel();
            throw new NodeFailure(RunErrors.NoRunSlot(_runId, definition.Id, ConcurrencyGate.MaxWait));
        }

        _progress.Queued = false;
        _progress.WaitingFor = null;
        _holdsSlot = true;
    }

    private static DateTime Earliest(DateTime a, DateTime b) => a < b ? a : b;

    /// <summary>Gives the slot back (or leaves the queue), unless the run only continues as new (it keeps its slot).</summary>
    private void ReleaseSlot(WorkflowDefinition definition)
    {
        if ((_holdsSlot || _requestedSlot) && !_continuing)
        {
            _context.SendEvent(ConcurrencyGate.InstanceId(definition.Id), ConcurrencyGate.GateEvent, new GateMessage { Op = GateMessage.Release, RunId = _context.InstanceId });
        }
    }
}
