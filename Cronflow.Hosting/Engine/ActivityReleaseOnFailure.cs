using System.Collections;
using System.Reflection;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.Extensions.Logging;

namespace Cronflow.Hosting;

/// <summary>
/// Lets a step whose result could not be stored during a storage outage run again once storage is back.
/// </summary>
/// <remarks>
/// The Azure Storage backend keeps each activity message it hands out in an in-process table until completing or
/// abandoning it has succeeded on storage. When both fail (storage is down), the entry stays for the life of the
/// process, and every later delivery of that message is refused as "processed multiple times concurrently": the run
/// never finishes on this host. After a failed complete or abandon this wrapper removes the entry, so the message is
/// taken again when its visibility timeout ends and the step runs again (steps run at least once; a repeated result
/// is dropped by <see cref="DuplicateResultFilter"/>). The table is a private field of the pinned backend version;
/// if it is not found the wrapper does nothing and says so once in the log.
/// </remarks>
internal sealed partial class ActivityReleaseOnFailure : DelegatingOrchestrationService
{
    private const string SessionsField = "activeActivitySessions";

    private readonly IDictionary? _sessions;
    private readonly ILogger _logger;

    public ActivityReleaseOnFailure(AzureStorageOrchestrationService inner, ILogger logger)
        : base(inner)
    {
        _logger = logger;
        _sessions = typeof(AzureStorageOrchestrationService).GetField(SessionsField, BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(inner) as IDictionary;
        if (_sessions is null)
        {
            Log.StepMessageTableMissing(_logger, SessionsField);
        }
    }

    public override async Task CompleteTaskActivityWorkItemAsync(TaskActivityWorkItem workItem, TaskMessage responseMessage)
    {
        try
        {
            await base.CompleteTaskActivityWorkItemAsync(workItem, responseMessage).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Forget(workItem, ex);
            throw;
        }
    }

    public override async Task AbandonTaskActivityWorkItemAsync(TaskActivityWorkItem workItem)
    {
        try
        {
            await base.AbandonTaskActivityWorkItemAsync(workItem).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Forget(workItem, ex);
            throw;
        }
    }

    private void Forget(TaskActivityWorkItem workItem, Exception exception)
    {
        if (_sessions is null || workItem?.Id is not { } id)
        {
            return;
        }

        // A ConcurrentDictionary: removing through IDictionary is thread-safe.
        _sessions.Remove(id);

        Log.StepMessageReleased(_logger, workItem.TaskMessage?.OrchestrationInstance?.InstanceId ?? "(unknown)", exception.GetType().Name);
    }
}
