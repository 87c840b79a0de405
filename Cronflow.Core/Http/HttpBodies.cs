namespace Cronflow.Http;

/// <summary>
/// Reads request bodies for the HTTP API and the dashboard, the same way on every host (the local host on Kestrel and
/// the Functions app): at most one byte more than a route accepts is kept, and the rest of a body over the limit is
/// read and dropped, within bounds, so that a client still sending gets to read the 413 instead of a reset connection.
/// </summary>
internal static class HttpBodies
{
    /// <summary>The most bytes dropped after the kept part of a body over its limit; beyond it the server closes the connection.</summary>
    public const long DrainLimitBytes = 16L * 1024 * 1024;

    /// <summary>The longest time spent dropping the rest of a body over its limit (Kestrel's own drain allows as long).</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private const int ChunkBytes = 16 * 1024;

    /// <summary>
    /// Reads at most <paramref name="limit"/> bytes of <paramref name="body"/>: the caller passes its route's limit plus
    /// one, so that a longer result tells it to answer 413. When the body goes on beyond, the rest is drained (at most
    /// <see cref="DrainLimitBytes"/>, for at most <see cref="DrainTimeout"/>).
    /// </summary>
    /// <exception cref="IOException">The server failed the read of the kept part (for example Kestrel's own size limit).</exception>
    public static async Task<ReadOnlyMemory<byte>> ReadAsync(Stream? body, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (body is null)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[ChunkBytes];
        while (buffer.Length < limit)
        {
            var read = await body.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, limit - buffer.Length)), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return buffer.ToArray();
            }

            buffer.Write(chunk, 0, read);
        }

        await DrainAsync(body, chunk, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    /// <summary>Drops what the client still sends, within the bounds; the answer (413) is already decided.</summary>
    private static async Task DrainAsync(Stream body, byte[] chunk, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(DrainTimeout);
        long drained = 0;
        try
        {
            while (drained < DrainLimitBytes)
            {
                var read = await body.ReadAsync(chunk, timeout.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                drained += read;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Too slow: the server closes the connection after the answer.
        }
        catch (IOException)
        {
            // The server stopped the body (its own size limit, or the client went away): nothing more to drop.
        }
    }
}
