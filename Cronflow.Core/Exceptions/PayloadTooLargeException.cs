namespace Cronflow;

/// <summary>A value is over one of the configured size limits.</summary>
public sealed class PayloadTooLargeException : CronflowException
{
    /// <summary>Creates the exception.</summary>
    public PayloadTooLargeException(string what, int size, int limit, string limitName)
        : base($"{what} is {size} bytes, over the limit of {limit} bytes ({limitName}).")
    {
        Size = size;
        Limit = limit;
        LimitName = limitName;
    }

    /// <summary>The size of the rejected value, in UTF-8 bytes.</summary>
    public int Size { get; }

    /// <summary>The limit in force, in bytes.</summary>
    public int Limit { get; }

    /// <summary>The name of the option that sets the limit.</summary>
    public string LimitName { get; }
}
