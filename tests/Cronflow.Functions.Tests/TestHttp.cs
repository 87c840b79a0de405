using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Moq;

namespace Cronflow.Functions.Tests;

/// <summary>An HTTP request as the Functions worker hands it to a function.</summary>
public sealed class FakeHttpRequestData : HttpRequestData
{
    public FakeHttpRequestData(FunctionContext context, string method, string url, string? body = null, IReadOnlyDictionary<string, string>? headers = null)
        : base(context)
    {
        Method = method;
        Url = new Uri(url);
        Body = new MemoryStream(body is null ? [] : Encoding.UTF8.GetBytes(body));
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            Headers.Add(name, value);
        }

        // Clients send JSON with its media type; a test that means otherwise passes its own Content-Type.
        if (!string.IsNullOrEmpty(body) && !Headers.Contains("Content-Type"))
        {
            Headers.Add("Content-Type", "application/json");
        }
    }

    public override Stream Body { get; }

    public override HttpHeadersCollection Headers { get; } = [];

    public override IReadOnlyCollection<IHttpCookie> Cookies { get; } = [];

    public override Uri Url { get; }

    public override IEnumerable<ClaimsIdentity> Identities { get; } = [];

    public override string Method { get; }

    public override HttpResponseData CreateResponse() => new FakeHttpResponseData(FunctionContext);
}

/// <summary>The response a function writes.</summary>
public sealed class FakeHttpResponseData(FunctionContext context) : HttpResponseData(context)
{
    public override HttpStatusCode StatusCode { get; set; }

    public override HttpHeadersCollection Headers { get; set; } = [];

    public override Stream Body { get; set; } = new MemoryStream();

    public override HttpCookies Cookies { get; } = new Mock<HttpCookies>().Object;

    public string BodyText => Encoding.UTF8.GetString(((MemoryStream)Body).ToArray());

    public JsonElement Json => JsonDocument.Parse(BodyText).RootElement.Clone();

    public string? Header(string name) => Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : null;
}

public static class TestContexts
{
    /// <summary>A function context with a live cancellation token and the given services.</summary>
    public static FunctionContext Function(IServiceProvider? services = null, CancellationToken cancellationToken = default)
    {
        var context = new Mock<FunctionContext>();
        context.Setup(c => c.CancellationToken).Returns(cancellationToken);
        context.Setup(c => c.InstanceServices).Returns(services!);
        context.Setup(c => c.InvocationId).Returns("invocation-1");
        context.Setup(c => c.FunctionId).Returns("function-1");
        return context.Object;
    }
}
