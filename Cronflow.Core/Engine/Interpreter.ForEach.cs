using System.Text.Json;

namespace Cronflow;

/// <summary>For-each blocks: items in a sliding window, or in chunks run as child orchestrations.</summary>
internal sealed partial class Interpreter
{
    /// <summary>A chunk's items: in a window of their own, or in the one window the chunks pass along (<see cref="RunChainedChunkAsync"/>).</summary>
    private Task<FlowValue> RunChunkItemsAsync(ForEachNode node, ChunkInput chunk, Scope scope, CancellationToken cancel) =>
        chunk.Next is null && !chunk.FromPrevious
            ? RunItemsAsync(node, chunk.Items, chunk.Start, chunk.MaxConcurrency, scope, null, cancel)
            : RunChainedChunkAsync(node, chunk, scope, cancel);

    private async Task<FlowValue> RunForEachAsync(ForEachNode node, Scope scope, BlockState? block, CancellationToken cancel)
    {
        var flow = Flow(scope);
        var items = await EvaluateAsync(node, "items", () => node.SelectItems(flow));
        SetDetail(scope, node, $"{items.Count} items");
        if (items.Count > node.ChunkSize)
        {
            return await RunChunksAsync(node, items, scope, node.MaxConcurrency is null ? null : block, cancel);
        }

        return await RunItemsAsync(node, items, 0, node.MaxConcurrency ?? items.Count, scope, node.MaxConcurrency is null ? null : block, cancel);
    }

    private async Task<FlowValue> RunItemsAsync(ForEachNode node, IReadOnlyList<JsonElement> items, int firstIndex, int maxConcurrency, Scope scope, BlockState? block, CancellationToken cancel)
    {
        var window = new SlidingWindow(Abandon, items.Count, maxConcurrency, cancel, block) { Clock = LaneClock(scope) };
        if (block is not null)
        {
            block.InFlight = window.Running;
        }

        try
        {
            var results = await window.RunAsync(
                (index, token) => RunItemAsync(node, items[index], firstIndex + index, scope, token),
                (index, failure) => new NodeFailure(failure.Error with
                {
                    Step = failure.Error.Step ?? node.Name,
                    Message = $"Item {firstIndex + index} of for-each '{node.Name}' failed: {failure.Error.Message}",
                }));
            return _stored.Combined(FlowValues.Array(results), results);
        }
        finally
        {
            SetLanes(scope, node, () => window.Lanes(i => $"item {firstIndex + i}"), scope.Record ? CountItems(window.States, _ => 1) : null);
        }
    }

    /// <summary>A for-each's outcomes from its window's tasks, each standing for <paramref name="size"/> items.</summary>
    private static ItemCounts CountItems(BranchState[] states, Func<int, int> size)
    {
        int total = 0, completed = 0, failed = 0;
        for (var i = 0; i < states.Length; i++)
        {
            total += size(i);
            completed += states[i] == BranchState.Completed ? size(i) : 0;
            failed += states[i] == BranchState.Failed ? 1 : 0;
        }

        return new ItemCounts { Total = total, Completed = completed, Failed = failed, Skipped = total - completed - failed };
    }

    private async Task<FlowValue> RunItemAsync(ForEachNode node, JsonElement item, int index, Scope scope, CancellationToken cancel)
    {
        var body = Evaluate(node, $"body for item {index}", () => node.BuildBody(_definition.Id, item));
        var child = scope.Child(FlowValue.FromOwned(item), item, $"{node.Path}#{index}");
        return await ExecuteListAsync(body, child, cancel);
    }

    private async Task<FlowValue> RunChunksAsync(ForEachNode node, IReadOnlyList<JsonElement> items, Scope scope, BlockState? block, CancellationToken cancel)
    {
        if (block is not null)
        {
            // Chunks of an earlier attempt keep starting items until they end: the next attempt waits for them.
            await SettleAsync(block.Leftovers);
            ThrowIfAbandoned(cancel);
        }

        var chunks = items.Chunk(node.ChunkSize).ToList();
        // Chunks receive the earlier outputs that are in the output store by reference, as steps do (qualified with
        // this instance, whose outputs they are), and the small ones inline.
        var (inline, refs) = scope.Transport(_context.InstanceId);
        var prefix = $"{_context.InstanceId}~{node.Path.Replace('/', '.')}~{_context.NewGuid():N}-";

        // With MaxConcurrency, the places of one sliding window are spread over the chunks in order (each gets at most
        // its item count), and every chunk starts at once. A chunk with no items left to start passes each place it frees
        // to the next chunk (see RunChainedChunkAsync) while some later chunk started with fewer places than items.
        var grants = new int[chunks.Count];
        var forwards = new bool[chunks.Count];
        var remaining = node.MaxConcurrency ?? int.MaxValue;
        for (var i = 0; i < chunks.Count; i++)
        {
            grants[i] = Math.Min(chunks[i].Length, remaining);
            remaining -= grants[i];
        }

        for (var i = chunks.Count - 2; i >= 0; i--)
        {
            forwards[i] = forwards[i + 1] || grants[i + 1] < chunks[i + 1].Length;
        }

        async Task<FlowValue> RunChunk(int index, CancellationToken token)
        {
            var input = InternalChildInput();
            input.Chunk = new ChunkInput
            {
                Path = node.Path,
                ItemChain = [.. scope.Items],
                Items = [.. chunks[index]],
                Start = index * node.ChunkSize,
                MaxConcurrency = grants[index],
                Next = forwards[index] ? prefix + (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
                FromPrevious = index > 0 && forwards[index - 1],
                Steps = inline ?? [],
                StepKeys = refs,
                RunId = _runId,
                StartedAt = _startedAt,
            };
            var result = await CallChildAsync(prefix + index.ToString(System.Globalization.CultureInfo.InvariantCulture), input, node.Name, token);

            ThrowIfAbandoned(token);
            return result.Status switch
            {
                RunStatus.Completed => FlowValue.FromOwned(result.Output),
                RunStatus.Cancelled when result.Error is { } reason => throw new RunCancelledSignal(reason),
                _ => throw new NodeFailure(result.Error ?? RunErrors.ChunkFailed(node.Name, index)),
            };
        }

        var chunkWindow = new SlidingWindow(Abandon, chunks.Count, chunks.Count, cancel, block, countLeftovers: false) { Clock = LaneClock(scope) };
        if (block is not null)
        {
            block.InFlight = chunkWindow.Running;
        }

        try
        {
            var results = await chunkWindow.RunAsync(RunChunk, (_, failure) => failure);
            return FlowValues.Concat(results);
        }
        finally
        {
            SetLanes(
                scope,
                node,
                () => chunkWindow.Lanes(i => chunks[i].Length == 1 ? $"item {i * node.ChunkSize}" : $"items {i * node.ChunkSize}-{(i * node.ChunkSize) + chunks[i].Length - 1}"),
                CountItems(chunkWindow.States, i => chunks[i].Length));
        }
    }

    private async Task<RunResult> RunChunkAsync(ChunkInput chunk)
    {
        try
        {
            if (_definition.FindNode(chunk.Path, chunk.ItemChain) is not ForEachNode node)
            {
                throw new NodeFailure(RunErrors.ChunkNotFound(chunk.Path, _definition.Id));
            }

            var parent = ChildScope(null, null, chunk.ItemChain, chunk.Steps, chunk.StepKeys);

            var output = _input.Parent is null
                ? await RunChunkItemsAsync(node, chunk, parent, CancellationToken.None)
                : await UntilAbandonedAsync(token => RunChunkItemsAsync(node, chunk, parent, token));
            _store?.InstanceEnded(_runId, _context.InstanceId);
            return Completed(output);
        }
        catch (NodeFailure failure)
        {
            return Failed(failure.Error);
        }
        catch (RunCancelledSignal cancelled)
        {
            return Cancelled(cancelled.Error);
        }
    }

    /// <summary>The event by which chunks of one for-each pass window places (and their end or failure) down the chain.</summary>
    internal const string ChunkSlotEvent = "cronflow-chunk-slot";

    /// <summary>
    /// Runs a chunk's items as part of one sliding window across chunks. The chunk starts with the places it was granted
    /// and receives more from the previous chunk; once all its items have started, each place it frees (or receives) goes
    /// to the next chunk, so the window never drains at a chunk boundary. It ends only after the previous chunk has
    /// ended and every place that chunk sent has arrived, so no place is lost. A failure (or a cancellation) is passed
    /// down the chain: later chunks start nothing more and end with the same error.
    /// </summary>
    private async Task<FlowValue> RunChainedChunkAsync(ForEachNode node, ChunkInput chunk, Scope scope, CancellationToken cancel)
    {
        var items = chunk.Items;
        var results = new FlowValue[items.Count];
        var inFlight = new Dictionary<Task<FlowValue>, int>();
        var places = chunk.MaxConcurrency;
        var next = 0;
        var sent = 0;
        var received = 0;
        int? expected = chunk.FromPrevious ? null : 0;
        ChunkSlotMessage? stop = null;
        using var waitCancel = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        Task<ChunkSlotMessage>? message = chunk.FromPrevious ? _context.WaitForExternalEvent<ChunkSlotMessage>(ChunkSlotEvent, waitCancel.Token) : null;

        void Send(ChunkSlotMessage content)
        {
            if (chunk.Next is { } nextChunk)
            {
                _context.SendEvent(nextChunk, ChunkSlotEvent, content);
            }
        }

        void UsePlaces()
        {
            while (places > 0 && stop is null && !cancel.IsCancellationRequested)
            {
                places--;
                if (next < items.Count)
                {
                    var index = next++;
                    inFlight[RunItemAsync(node, items[index], chunk.Start + index, scope, cancel)] = index;
                }
                else if (chunk.Next is not null)
                {
                    Send(new ChunkSlotMessage { Places = 1 });
                    sent++;
                }
            }
        }

        void Stop(ChunkSlotMessage reason)
        {
            stop = reason;
            Send(reason);
            foreach (var pending in inFlight.Keys)
            {
                Abandon(pending);
            }

            inFlight.Clear();
        }

        UsePlaces();
        while (stop is null && (inFlight.Count > 0 || next < items.Count || received != expected))
        {
            var done = await Task.WhenAny(message is null ? inFlight.Keys : [.. inFlight.Keys, message]);
            if (done == message)
            {
                var content = await message;
                if (content.Error is not null)
                {
                    Stop(content);
                    break;
                }

                if (content.Sent is { } total)
                {
                    expected = total;
                }
                else
                {
                    received++;
                    places += content.Places;
                }

                message = received == expected ? null : _context.WaitForExternalEvent<ChunkSlotMessage>(ChunkSlotEvent, waitCancel.Token);
                UsePlaces();
                continue;
            }

            var task = (Task<FlowValue>)done;
            var finished = inFlight[task];
            inFlight.Remove(task);
            try
            {
                results[finished] = await task;
            }
            catch (NodeFailure failure)
            {
                Stop(new ChunkSlotMessage
                {
                    Error = failure.Error with
                    {
                        Step = failure.Error.Step ?? node.Name,
                        Message = $"Item {chunk.Start + finished} of for-each '{node.Name}' failed: {failure.Error.Message}",
                    },
                });
                break;
            }
            catch (RunCancelledSignal cancelled)
            {
                Stop(new ChunkSlotMessage { Error = cancelled.Error, Cancelled = true });
                break;
            }

            places++;
            UsePlaces();
        }

        if (message is not null)
        {
            waitCancel.Cancel();
        }

        if (stop is { Error: { } error })
        {
            throw stop.Cancelled ? new RunCancelledSignal(error) : new NodeFailure(error);
        }

        Send(new ChunkSlotMessage { Sent = sent });
        return FlowValues.Array(results);
    }
}
