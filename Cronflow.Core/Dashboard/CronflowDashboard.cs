using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cronflow.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cronflow.Dashboard;

/// <summary>
/// The run inspector: server-rendered pages for runs, a run's timeline and the workflows' diagrams, and the form posts
/// that steer runs. Host-agnostic like <see cref="Http.CronflowHttpApi"/>: the local host and the Functions app adapt
/// their requests to <see cref="DashboardRequest"/>, so both serve the same pages.
/// </summary>
/// <remarks>
/// Exposure: without a key the dashboard answers only requests addressed to a loopback name and refuses other origins;
/// with a key, a sign-in page sets an HttpOnly, SameSite=Strict session cookie. Every form post carries an
/// anti-forgery token (an HMAC of a per-browser cookie), and every answer carries a Content-Security-Policy that allows
/// only the dashboard's own script and style sheet.
/// </remarks>
internal sealed partial class CronflowDashboard
{
    /// <summary>The largest form body a dashboard route reads.</summary>
    public const int MaxBodyBytes = 256 * 1024;

    internal const string SessionCookie = "cronflow_session";
    internal const string AntiforgeryCookie = "cronflow_af";
    internal const string AntiforgeryField = "__af";

    /// <summary>The Content-Security-Policy of every answer: no inline script or style, nothing from elsewhere.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private static readonly TimeSpan SessionLifetime = TimeSpan.FromHours(12);

    /// <summary>Keyless hosts (loopback only) sign anti-forgery tokens with a secret of this process.</summary>
    private static readonly byte[] ProcessSecret = RandomNumberGenerator.GetBytes(32);

    private readonly ICronflowClient _client;
    private readonly WorkflowRegistry _registry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly byte[]? _key;
    private readonly byte[] _antiforgerySecret;

    /// <summary>Creates the dashboard.</summary>
    /// <param name="client">Reads and steers runs.</param>
    /// <param name="registry">The registered workflows.</param>
    /// <param name="timeProvider">The clock (timeline "now", next schedule occurrences, session expiry).</param>
    /// <param name="key">The key that signs a browser in; null serves the dashboard without sign-in, to loopback names only.</param>
    /// <param name="logger">Where unexpected failures are logged.</param>
    public CronflowDashboard(ICronflowClient client, WorkflowRegistry registry, TimeProvider timeProvider, string? key, ILogger? logger = null)
    {
        _client = client;
        _registry = registry;
        _time = timeProvider;
        _logger = logger ?? NullLogger.Instance;
        _key = string.IsNullOrEmpty(key) ? null : Encoding.UTF8.GetBytes(key);
        _antiforgerySecret = _key is null ? ProcessSecret : HMACSHA256.HashData(_key, "cronflow-dashboard-antiforgery"u8);
        RequireLoopback = _key is null;
    }

    /// <summary>
    /// Whether the dashboard answers only requests addressed to a loopback name and from no other origin. Default: when
    /// there is no key. An application that maps the dashboard behind its own authorization turns it off.
    /// </summary>
    public bool RequireLoopback { get; init; }

    /// <summary>Handles one request. Never throws for a bad request: every failure is an answer.</summary>
    public async Task<DashboardResponse> HandleAsync(DashboardRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        DashboardResponse response;
        try
        {
            response = await RouteAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            Log.DashboardRequestFailed(_logger, ex, request.Method, request.Path);
            response = DashboardResponse.Text(500, "The request failed on the server; the host's log has the details.");
        }

        response.Headers.Add(new("Content-Security-Policy", ContentSecurityPolicy));
        response.Headers.Add(new("X-Content-Type-Options", "nosniff"));
        // Not no-referrer: Chromium then sends "Origin: null" with the dashboard's own form posts.
        response.Headers.Add(new("Referrer-Policy", "same-origin"));
        response.Headers.Add(new("X-Frame-Options", "DENY"));
        if (!response.Headers.Exists(h => h.Key == "Cache-Control"))
        {
            response.Headers.Add(new("Cache-Control", "no-store"));
        }

        return response;
    }

    private async Task<DashboardResponse> RouteAsync(DashboardRequest request, CancellationToken cancellationToken)
    {
        var segments = request.Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var get = request.Method.Equals("GET", StringComparison.OrdinalIgnoreCase) || request.Method.Equals("HEAD", StringComparison.OrdinalIgnoreCase);
        var post = request.Method.Equals("POST", StringComparison.OrdinalIgnoreCase);
        if (!get && !post)
        {
            var notAllowed = DashboardResponse.Text(405, "The dashboard answers GET and form POST requests only.");
            notAllowed.Headers.Add(new("Allow", "GET, POST"));
            return notAllowed;
        }

        if (get && segments is ["assets", var asset])
        {
            return DashboardAssets.Get(asset);
        }

        if (CheckExposure(request, post) is { } refused)
        {
            return refused;
        }

        var antiforgeryCookie = request.Cookie(AntiforgeryCookie);
        var newCookie = antiforgeryCookie is null || antiforgeryCookie.Length != 64 ? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) : null;
        var view = new DashboardView(request.BasePath, AntiforgeryToken(newCookie ?? antiforgeryCookie!), _key is not null, _time.GetUtcNow());
        Dictionary<string, List<string>> form = new(StringComparer.Ordinal);
        if (post)
        {
            if (ContentTypeIsNotForm(request))
            {
                return DashboardResponse.Text(415, "Dashboard forms are posted as application/x-www-form-urlencoded.");
            }

            if (request.Body.Length > MaxBodyBytes)
            {
                return DashboardResponse.Text(413, $"The form is over the dashboard's limit of {MaxBodyBytes} bytes.");
            }

            form = ParseForm(request.Body.Span);
            if (newCookie is not null || !ValidAntiforgery(antiforgeryCookie!, First(form, AntiforgeryField)))
            {
                return DashboardResponse.Text(403, "The form's anti-forgery token is missing or wrong: reload the page and try again.");
            }
        }

        DashboardResponse response;
        if (segments is ["signin"])
        {
            response = post ? SignIn(request, view, form) : DashboardResponse.Html(200, DashboardPages.SignIn(view, null));
        }
        else if (segments is ["signout"] && post)
        {
            response = DashboardResponse.Redirect(request.BasePath + "/signin");
            response.Headers.Add(new("Set-Cookie", Cookie(request, SessionCookie, "", TimeSpan.Zero)));
        }
        else if (!IsSignedIn(request))
        {
            if (!get)
            {
                return DashboardResponse.Text(401, "Sign in to the dashboard first.");
            }

            response = DashboardResponse.Redirect(request.BasePath + "/signin", 302);
        }
        else
        {
            response = await DispatchAsync(segments, get, request, view, form, cancellationToken).ConfigureAwait(false);
        }

        if (newCookie is not null)
        {
            response.Headers.Add(new("Set-Cookie", Cookie(request, AntiforgeryCookie, newCookie, null)));
        }

        return response;
    }

    private Task<DashboardResponse> DispatchAsync(string[] segments, bool get, DashboardRequest request, DashboardView view, Dictionary<string, List<string>> form, CancellationToken cancellationToken) =>
        (segments, get) switch
        {
            ([], true) => RunsPageAsync(request, view, cancellationToken),
            (["runs", var runId], true) => RunPageAsync(runId, request, view, cancellationToken),
            (["workflows"], true) => Task.FromResult(DashboardResponse.Html(200, DashboardPages.Workflows(view, _registry, Notice(request)))),
            (["runs", var runId, "cancel"], false) => ActAsync(view, RunUrl(view, runId), async () =>
            {
                await _client.CancelAsync(runId, NullIfEmpty(First(form, "reason")), cancellationToken).ConfigureAwait(false);
                return (RunUrl(view, runId), "Cancel requested.");
            }),
            (["runs", var runId, "replay"], false) => ActAsync(view, RunUrl(view, runId), async () =>
            {
                var id = await _client.ReplayAsync(runId, cancellationToken).ConfigureAwait(false);
                return (RunUrl(view, id), $"Replay of {runId} started.");
            }),
            (["runs", var runId, "events"], false) => ActAsync(view, RunUrl(view, runId), async () =>
            {
                var name = First(form, "eventName")?.Trim();
                if (string.IsNullOrEmpty(name))
                {
                    throw new ArgumentException("Give the event a name.");
                }

                await _client.RaiseEventAsync(runId, name, ParseJson(First(form, "payload"), "The event payload"), cancellationToken).ConfigureAwait(false);
                return (RunUrl(view, runId), $"Event '{name}' sent.");
            }),
            (["runs", var runId, "resume"], false) => ActAsync(view, RunUrl(view, runId), async () =>
            {
                await _client.ResumeAsync(First(form, "token") ?? "", ParseJson(First(form, "payload"), "The resume payload"), cancellationToken).ConfigureAwait(false);
                return (RunUrl(view, runId), "Resumed.");
            }),
            (["bulk"], false) => ActAsync(view, request.BasePath + "/", () => BulkAsync(view, form, cancellationToken)),
            (["workflows", var workflowId, "trigger"], false) => ActAsync(view, request.BasePath + "/workflows", async () =>
            {
                var runId = NullIfEmpty(First(form, "runId")?.Trim());
                var id = await _client.TriggerAsync(workflowId, ParseJson(First(form, "payload"), "The payload"), runId, cancellationToken).ConfigureAwait(false);
                return (RunUrl(view, id), $"Run of {workflowId} started.");
            }),
            (_, true) => Task.FromResult(DashboardResponse.Html(404, DashboardPages.NotFound(view, "No dashboard page is here."))),
            _ => Task.FromResult(DashboardResponse.Text(404, "No dashboard form posts here.")),
        };

    // ---- pages ------------------------------------------------------------------------------

    private async Task<DashboardResponse> RunsPageAsync(DashboardRequest request, DashboardView view, CancellationToken cancellationToken)
    {
        var filter = RunsFilter.Parse(request.Query, out var problems);
        var page = new RunPage([], null);
        var counts = new Dictionary<RunStatus, int>();
        var countsComplete = true;
        if (problems.Count == 0)
        {
            var query = filter.ToQuery();
            page = await _client.ListRunsAsync(query, cancellationToken).ConfigureAwait(false);
            (counts, countsComplete) = await CountAsync(query with { Status = null, ContinuationToken = null, PageSize = 1000 }, cancellationToken).ConfigureAwait(false);
        }

        return DashboardResponse.Html(problems.Count == 0 ? 200 : 400, DashboardPages.Runs(view, _registry, filter, page, counts, countsComplete, problems, Notice(request)));
    }

    /// <summary>Counts runs per status over at most a few thousand runs (the first pages of the filtered list).</summary>
    private async Task<(Dictionary<RunStatus, int> Counts, bool Complete)> CountAsync(RunQuery query, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<RunStatus, int>();
        for (var pages = 0; pages < 5; pages++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var page = await _client.ListRunsAsync(query, cancellationToken).ConfigureAwait(false);
            foreach (var run in page.Runs)
            {
                counts[run.Status] = counts.GetValueOrDefault(run.Status) + 1;
            }

            if (page.ContinuationToken is null)
            {
                return (counts, true);
            }

            query = query with { ContinuationToken = page.ContinuationToken };
        }

        return (counts, false);
    }

    private async Task<DashboardResponse> RunPageAsync(string runId, DashboardRequest request, DashboardView view, CancellationToken cancellationToken)
    {
        RunInfo? run;
        try
        {
            run = await _client.GetRunAsync(runId, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            run = null;
        }

        if (run is null)
        {
            return DashboardResponse.Html(404, DashboardPages.NotFound(view, $"No run with id '{runId}' exists."));
        }

        _registry.TryGet(run.WorkflowId, out var workflow);
        return request.Query.TryGetValue("fragment", out var fragment) && fragment == "live"
            ? DashboardResponse.Html(200, DashboardPages.RunLive(view, run, workflow))
            : DashboardResponse.Html(200, DashboardPages.Run(view, run, workflow, Notice(request)));
    }

    // ---- actions ----------------------------------------------------------------------------

    /// <summary>Runs a form action and redirects (303) with a notice, or back to <paramref name="back"/> with the error.</summary>
    private static async Task<DashboardResponse> ActAsync(DashboardView view, string back, Func<Task<(string Location, string Notice)>> action)
    {
        try
        {
            var (location, notice) = await action().ConfigureAwait(false);
            return DashboardResponse.Redirect(WithNotice(location, "notice", notice));
        }
        catch (Exception ex) when (ex is CronflowException or ArgumentException or JsonException or NotSupportedException)
        {
            var message = ex is ArgumentException argument && argument.ParamName is { } name && argument.Message.EndsWith($" (Parameter '{name}')", StringComparison.Ordinal)
                ? argument.Message[..^$" (Parameter '{name}')".Length]
                : ex.Message;
            _ = view;
            return DashboardResponse.Redirect(WithNotice(back, "error", message));
        }
    }

    private async Task<(string Location, string Notice)> BulkAsync(DashboardView view, Dictionary<string, List<string>> form, CancellationToken cancellationToken)
    {
        var ids = form.TryGetValue("runId", out var selected) ? selected.Where(id => id.Length > 0).Distinct(StringComparer.Ordinal).ToList() : [];
        var action = First(form, "action");
        if (ids.Count == 0)
        {
            throw new ArgumentException("Select at least one run.");
        }

        var failures = new List<string>();
        foreach (var id in ids)
        {
            try
            {
                if (action == "cancel")
                {
                    await _client.CancelAsync(id, "cancelled from the dashboard", cancellationToken).ConfigureAwait(false);
                }
                else if (action == "replay")
                {
                    await _client.ReplayAsync(id, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    throw new ArgumentException("Choose Cancel or Replay.");
                }
            }
            catch (CronflowException ex)
            {
                failures.Add($"{id}: {ex.Message}");
            }
        }

        var done = ids.Count - failures.Count;
        var verb = action == "cancel" ? "Cancel requested for" : "Replayed";
        var notice = $"{verb} {done} run{(done == 1 ? "" : "s")}." + (failures.Count > 0 ? " Failed: " + string.Join("; ", failures) : "");
        return (view.BasePath + "/", notice);
    }

    private DashboardResponse SignIn(DashboardRequest request, DashboardView view, Dictionary<string, List<string>> form)
    {
        if (_key is null)
        {
            return DashboardResponse.Redirect(request.BasePath + "/");
        }

        var presented = Encoding.UTF8.GetBytes(First(form, "key") ?? "");
        if (!CryptographicOperations.FixedTimeEquals(presented, _key))
        {
            return DashboardResponse.Html(401, DashboardPages.SignIn(view, "That key is not right."));
        }

        var expires = _time.GetUtcNow().Add(SessionLifetime).ToUnixTimeSeconds();
        var response = DashboardResponse.Redirect(request.BasePath + "/");
        response.Headers.Add(new("Set-Cookie", Cookie(request, SessionCookie, $"{expires}.{SessionMac(expires)}", SessionLifetime)));
        return response;
    }

    // ---- exposure ---------------------------------------------------------------------------

    /// <summary>Keyless: loopback host names only, and no other origin. Keyed: no form post from another origin.</summary>
    private DashboardResponse? CheckExposure(DashboardRequest request, bool post)
    {
        var host = request.Header("Host") ?? "";
        if (RequireLoopback && !IsLoopbackHost(host))
        {
            return DashboardResponse.Text(403, "forbidden_host: without a key the dashboard answers only to localhost, 127.0.0.1 or [::1].");
        }

        var origin = request.Header("Origin");
        if (origin is not null && (post || RequireLoopback) && !SameOrigin(origin, host))
        {
            return DashboardResponse.Text(403, "forbidden_origin: the dashboard does not answer requests from other sites.");
        }

        return null;
    }

    private static bool IsLoopbackHost(string host)
    {
        var name = host.StartsWith('[') ? host[..(host.IndexOf(']', StringComparison.Ordinal) + 1)] : host.Split(':')[0];
        return HttpInputRules.IsLoopbackHostName(name);
    }

    private static bool SameOrigin(string origin, string host) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Authority.Equals(host, StringComparison.OrdinalIgnoreCase)
        || (Uri.TryCreate(origin, UriKind.Absolute, out var withPort) && $"{withPort.Host}:{withPort.Port}".Equals(host, StringComparison.OrdinalIgnoreCase));

    private bool IsSignedIn(DashboardRequest request)
    {
        if (_key is null)
        {
            return true;
        }

        var cookie = request.Cookie(SessionCookie);
        var dot = cookie?.IndexOf('.', StringComparison.Ordinal) ?? -1;
        if (cookie is null || dot <= 0 || !long.TryParse(cookie.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var expires)
            || expires < _time.GetUtcNow().ToUnixTimeSeconds())
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(cookie[(dot + 1)..]), Encoding.ASCII.GetBytes(SessionMac(expires)));
    }

    private string SessionMac(long expires) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_key!, Encoding.UTF8.GetBytes("cronflow-dashboard-session|" + expires.ToString(CultureInfo.InvariantCulture))));

    private string AntiforgeryToken(string cookie) => Convert.ToHexStringLower(HMACSHA256.HashData(_antiforgerySecret, Encoding.ASCII.GetBytes(cookie)));

    private bool ValidAntiforgery(string cookie, string? token) =>
        token is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(token), Encoding.ASCII.GetBytes(AntiforgeryToken(cookie)));

    private static string Cookie(DashboardRequest request, string name, string value, TimeSpan? maxAge)
    {
        var cookie = $"{name}={value}; Path={(request.BasePath.Length == 0 ? "/" : request.BasePath)}; HttpOnly; SameSite=Strict";
        if (maxAge is { } age)
        {
            cookie += "; Max-Age=" + ((long)age.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        }

        return request.IsHttps ? cookie + "; Secure" : cookie;
    }

    private static bool ContentTypeIsNotForm(DashboardRequest request)
    {
        var contentType = request.Header("Content-Type") ?? "";
        var mediaType = contentType.Split(';')[0].Trim();
        return !mediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);
    }

    // ---- helpers ----------------------------------------------------------------------------

    internal static string RunUrl(DashboardView view, string runId) => view.BasePath + "/runs/" + Uri.EscapeDataString(runId);

    private static string WithNotice(string location, string kind, string text) =>
        location + (location.Contains('?', StringComparison.Ordinal) ? "&" : "?") + kind + "=" + Uri.EscapeDataString(text.Length > 500 ? text[..500] : text);

    private static DashboardNotice? Notice(DashboardRequest request) =>
        request.Query.TryGetValue("error", out var error) && error.Length > 0 ? new DashboardNotice(error, IsError: true)
        : request.Query.TryGetValue("notice", out var notice) && notice.Length > 0 ? new DashboardNotice(notice, IsError: false)
        : null;

    private static string? First(Dictionary<string, List<string>> form, string name) => form.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>Parses a JSON text from a form field; empty is null.</summary>
    private static JsonElement? ParseJson(string? text, string what)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 32 });
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"{what} is not valid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>Parses an application/x-www-form-urlencoded body; names may repeat.</summary>
    internal static Dictionary<string, List<string>> ParseForm(ReadOnlySpan<byte> body)
    {
        var form = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var pair in Encoding.UTF8.GetString(body).Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Decode(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : Decode(pair[(equals + 1)..]);
            if (!form.TryGetValue(name, out var values))
            {
                form[name] = values = [];
            }

            values.Add(value);
        }

        return form;
    }

    private static string Decode(string value) => WebUtility.UrlDecode(value);

}

/// <summary>What every page needs: where the dashboard lives, the form token, whether sign-out is offered, and now.</summary>
internal sealed record DashboardView(string BasePath, string AntiforgeryToken, bool Keyed, DateTimeOffset Now);

/// <summary>A one-line message shown at the top of a page after a form post.</summary>
internal sealed record DashboardNotice(string Text, bool IsError);
