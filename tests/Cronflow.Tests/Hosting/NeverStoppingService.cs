using Cronflow.Hosting;
using DurableTask.Core;

namespace Cronflow.Tests.Hosting;

/// <summary>A backend whose stop never finishes, as when its storage went away and every call is retried.</summary>
internal sealed class NeverStoppingService(IOrchestrationService inner) : DelegatingOrchestrationService(inner)
{
    private int _stopRequested;

    public bool StopRequested => Volatile.Read(ref _stopRequested) == 1;

    public override Task StopAsync(bool isForced)
    {
        Interlocked.Exchange(ref _stopRequested, 1);
        return new TaskCompletionSource().Task;
    }
}
