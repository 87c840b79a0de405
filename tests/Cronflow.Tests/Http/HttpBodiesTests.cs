using Cronflow.Http;

namespace Cronflow.Tests.Http;

public sealed class HttpBodiesTests
{
    [Fact]
    public async Task ReadAsync_NoBody_ReturnsEmpty()
    {
        var body = await HttpBodies.ReadAsync(null, 10, CancellationToken.None);

        Assert.True(body.IsEmpty);
    }

    [Fact]
    public async Task ReadAsync_BodyWithinLimit_ReturnsEveryByte()
    {
        var bytes = Enumerable.Range(0, 40_000).Select(i => (byte)i).ToArray();

        var body = await HttpBodies.ReadAsync(new MemoryStream(bytes), 40_001, CancellationToken.None);

        Assert.Equal(bytes, body.ToArray());
    }

    [Fact]
    public async Task ReadAsync_BodyOverLimit_KeepsTheLimitAndDrainsTheRest()
    {
        var bytes = Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray();
        using var stream = new MemoryStream(bytes);

        var body = await HttpBodies.ReadAsync(stream, 1001, CancellationToken.None);

        Assert.Equal(bytes[..1001], body.ToArray());
        Assert.Equal(bytes.Length, stream.Position);
    }

    [Fact]
    public async Task ReadAsync_EndlessBody_StopsDrainingAtTheDrainLimit()
    {
        using var stream = new EndlessStream();

        var body = await HttpBodies.ReadAsync(stream, 101, CancellationToken.None);

        Assert.Equal(101, body.Length);
        Assert.Equal(101 + HttpBodies.DrainLimitBytes, stream.Position);
    }

    [Fact]
    public async Task ReadAsync_ServerFailsTheDrain_ReturnsTheKeptPart()
    {
        using var stream = new EndlessStream(failAfter: 5000);

        var body = await HttpBodies.ReadAsync(stream, 101, CancellationToken.None);

        Assert.Equal(101, body.Length);
    }

    /// <summary>A body that never ends (zeros), optionally failing like a server that stops it after some bytes.</summary>
    private sealed class EndlessStream(long failAfter = long.MaxValue) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= failAfter)
            {
                throw new IOException("Request body too large.");
            }

            Array.Clear(buffer, offset, count);
            _position += count;
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
