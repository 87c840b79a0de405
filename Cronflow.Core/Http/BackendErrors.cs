using System.Net.Sockets;

namespace Cronflow.Http;

/// <summary>
/// Recognises failures that mean the backend (the task hub's storage, or the Functions host's Durable gRPC channel)
/// cannot be reached, as opposed to a bad request or a bug. Core references no storage SDK, so storage and gRPC
/// exceptions are recognised by type name.
/// </summary>
internal static class BackendErrors
{
    private static readonly HashSet<string> StorageExceptionNames = new(StringComparer.Ordinal)
    {
        "RequestFailedException",       // Azure.Core (Azure Storage SDK)
        "DurableTaskStorageException",  // DurableTask.AzureStorage
        "StorageException",             // older storage SDKs
    };

    private static readonly HashSet<string> UnavailableGrpcCodes = new(StringComparer.Ordinal)
    {
        "Unavailable", "DeadlineExceeded", "ResourceExhausted", "Internal", "Unknown",
    };

    /// <summary>Whether <paramref name="exception"/>, or one it wraps, says the backend is unreachable or failing.</summary>
    public static bool IsUnavailable(Exception exception)
    {
        for (var depth = 0; depth < 16 && exception is not null; depth++)
        {
            switch (exception)
            {
                case HttpRequestException or SocketException or TimeoutException:
                    return true;
                case AggregateException aggregate when aggregate.InnerExceptions.Any(IsUnavailable):
                    return true;
            }

            var type = exception.GetType();
            if (StorageExceptionNames.Contains(type.Name))
            {
                // A storage answer with a client-error status (404, 409, 412) is not an outage; none (0) or 5xx is.
                var status = type.GetProperty("Status")?.GetValue(exception) as int?;
                if (status is null or 0 or >= 500)
                {
                    return true;
                }
            }

            if (type.FullName == "Grpc.Core.RpcException"
                && type.GetProperty("StatusCode")?.GetValue(exception)?.ToString() is { } code
                && UnavailableGrpcCodes.Contains(code))
            {
                return true;
            }

            exception = exception.InnerException!;
        }

        return false;
    }
}
