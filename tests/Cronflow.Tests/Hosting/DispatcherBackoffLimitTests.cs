using Azure;
using Cronflow.Hosting;
using DurableTask.Core;
using DurableTask.Core.Exceptions;
using Moq;

namespace Cronflow.Tests.Hosting;

public sealed class DispatcherBackoffLimitTests
{
    private const int BackendDelay = 10;

    [Fact]
    public void GetDelayInSecondsAfterOnProcessException_PopReceiptMismatchWrapped_NoBackoff()
    {
        var failure = new InvalidOperationException(
            "An error occurred while communicating with Azure Storage",
            new RequestFailedException(400, "The specified pop receipt did not match the pop receipt for a dequeued message.", "PopReceiptMismatch", innerException: null));

        Assert.Equal(0, Filter().GetDelayInSecondsAfterOnProcessException(failure));
    }

    [Fact]
    public void GetDelayInSecondsAfterOnProcessException_MessageNotFound_NoBackoff()
    {
        var failure = new RequestFailedException(404, "The specified message does not exist.", "MessageNotFound", innerException: null);

        Assert.Equal(0, Filter().GetDelayInSecondsAfterOnProcessException(failure));
    }

    [Fact]
    public void GetDelayInSecondsAfterOnProcessException_SessionAborted_NoBackoff()
    {
        var failure = new SessionAbortedException("Aborting execution due to conflicting completion of the work item by another worker.");

        Assert.Equal(0, Filter().GetDelayInSecondsAfterOnProcessException(failure));
    }

    [Fact]
    public void GetDelayInSecondsAfterOnProcessException_ServerBusy_OneSecond()
    {
        var failure = new InvalidOperationException("wrapped", new RequestFailedException(503, "The server is busy.", "ServerBusy", innerException: null));

        Assert.Equal(1, Filter().GetDelayInSecondsAfterOnProcessException(failure));
    }

    [Fact]
    public void GetDelayInSecondsAfterOnProcessException_OtherException_OneSecond()
    {
        Assert.Equal(1, Filter().GetDelayInSecondsAfterOnProcessException(new TimeoutException("storage did not answer")));
    }

    [Fact]
    public void GetDelayInSecondsAfterOnProcessException_BackendAnswersZero_Zero()
    {
        var inner = new Mock<IOrchestrationService>(MockBehavior.Strict);
        inner.Setup(s => s.GetDelayInSecondsAfterOnProcessException(It.IsAny<Exception>())).Returns(0);

        Assert.Equal(0, new DispatcherBackoffLimit(inner.Object).GetDelayInSecondsAfterOnProcessException(new TimeoutException("storage did not answer")));
    }

    [Fact]
    public void GetDelayInSecondsAfterOnFetchException_PopReceiptMismatch_NoBackoff()
    {
        var failure = new InvalidOperationException("wrapped", new RequestFailedException(400, "pop receipt", "PopReceiptMismatch", innerException: null));

        Assert.Equal(0, Filter().GetDelayInSecondsAfterOnFetchException(failure));
    }

    [Fact]
    public void GetDelayInSecondsAfterOnFetchException_ServerBusy_BackendDelay()
    {
        // A failed fetch is what a storage outage looks like to the dispatchers: it keeps the backend's pause.
        var failure = new RequestFailedException(503, "The server is busy.", "ServerBusy", innerException: null);

        Assert.Equal(BackendDelay, Filter().GetDelayInSecondsAfterOnFetchException(failure));
    }

    private static DispatcherBackoffLimit Filter()
    {
        var inner = new Mock<IOrchestrationService>(MockBehavior.Strict);
        inner.Setup(s => s.GetDelayInSecondsAfterOnProcessException(It.IsAny<Exception>())).Returns(BackendDelay);
        inner.Setup(s => s.GetDelayInSecondsAfterOnFetchException(It.IsAny<Exception>())).Returns(BackendDelay);
        return new DispatcherBackoffLimit(inner.Object);
    }
}
