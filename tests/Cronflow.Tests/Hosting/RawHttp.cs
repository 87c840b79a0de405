using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Cronflow.Tests.Hosting;

/// <summary>
/// HTTP/1.1 over a plain socket, for requests HttpClient will not send as written: a foreign <c>Host</c>, a
/// <c>Content-Length</c> larger than what is sent, a body that never arrives.
/// </summary>
internal static class RawHttp
{
    /// <summary>How long a test waits for an answer before it fails.</summary>
    public static readonly TimeSpan AnswerWait = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Sends <paramref name="head"/> (request line and headers, without the blank line) and <paramref name="body"/>, then
    /// reads the answer. The connection stays open while the answer is read, whether or not the body was complete.
    /// </summary>
    public static async Task<RawResponse> SendAsync(string baseUrl, string head, byte[]? body = null)
    {
        var uri = new Uri(baseUrl);
        using var timeout = new CancellationTokenSource(AnswerWait);
        using var client = new TcpClient();
        await client.ConnectAsync(uri.Host, uri.Port, timeout.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.TrimEnd('\r', '\n') + "\r\n\r\n"), timeout.Token);
        if (body is not null)
        {
            await stream.WriteAsync(body, timeout.Token);
        }

        await stream.FlushAsync(timeout.Token);
        return await ReadAsync(stream, timeout.Token);
    }

    /// <summary>
    /// Sends <paramref name="head"/>, then the body a kilobyte at a time, twice a second — faster than Kestrel's minimum
    /// data rate, so the server never times the request out, and far too slow to finish the declared length while the
    /// test waits — until the answer arrives. A server that reads the body before it answers never answers in time.
    /// </summary>
    public static async Task<RawResponse> SendTricklingAsync(string baseUrl, string head)
    {
        var uri = new Uri(baseUrl);
        using var timeout = new CancellationTokenSource(AnswerWait);
        using var client = new TcpClient();
        await client.ConnectAsync(uri.Host, uri.Port, timeout.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.TrimEnd('\r', '\n') + "\r\n\r\n"), timeout.Token);
        var answer = ReadAsync(stream, timeout.Token);
        var chunk = Encoding.ASCII.GetBytes("[" + new string(' ', 1022) + ",");
        while (!answer.IsCompleted)
        {
            try
            {
                await stream.WriteAsync(chunk, timeout.Token);
            }
            catch (IOException)
            {
                // The server answered and closed: the answer is read below.
                break;
            }

            await Task.WhenAny(answer, Task.Delay(TimeSpan.FromMilliseconds(500), timeout.Token));
        }

        return await answer;
    }

    private static async Task<RawResponse> ReadAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var received = new List<byte>();
        var chunk = new byte[4096];
        int headerEnd;
        while ((headerEnd = IndexOfBlankLine(received)) < 0)
        {
            var read = await stream.ReadAsync(chunk, cancellationToken);
            if (read == 0)
            {
                throw new IOException($"The connection closed before an answer arrived ({received.Count} bytes).");
            }

            received.AddRange(chunk.AsSpan(0, read));
        }

        var headText = Encoding.ASCII.GetString([.. received.Take(headerEnd)]);
        var lines = headText.Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        var body = received.Skip(headerEnd + 4).ToList();
        var length = headers.TryGetValue("Content-Length", out var text) ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : 0;
        while (body.Count < length)
        {
            var read = await stream.ReadAsync(chunk, cancellationToken);
            if (read == 0)
            {
                break;
            }

            body.AddRange(chunk.AsSpan(0, read));
        }

        return new RawResponse(status, headers, Encoding.UTF8.GetString([.. body]));
    }

    private static int IndexOfBlankLine(List<byte> bytes)
    {
        for (var i = 0; i + 3 < bytes.Count; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>An answer read from a socket.</summary>
internal sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>The <c>error.code</c> of an error answer.</summary>
    public string? ErrorCode => Body.Length == 0 ? null : JsonDocument.Parse(Body).RootElement.GetProperty("error").GetProperty("code").GetString();
}
