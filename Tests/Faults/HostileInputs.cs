using System.Net.Http.Headers;
using System.Text;
using SecondServer.Web.Hardening;

namespace SecondServer.Tests.Faults;

/// <summary>Who an endpoint is for.</summary>
internal enum Actor
{
    Anonymous,
    User,
    Admin,
}

/// <summary>What an endpoint reads from the body.</summary>
internal enum BodyKind
{
    None,
    Json,
    Form,
    Multipart,
}

/// <summary>How a hostile request must be answered.</summary>
internal enum Outcome
{
    /// <summary>Refused with the given status: problem+json from the API, an HTML page from pages; nothing changed.</summary>
    Refused,

    /// <summary>Refused by Kestrel before the app saw it: a bare 4xx without a body, or the connection closed; nothing changed.</summary>
    RefusedByServer,

    /// <summary>
    /// Taken as plain data (an injection string is a legal display name): any answer but a 5xx, problem+json when
    /// refused, and nothing changed but the sender's own account.
    /// </summary>
    Data,
}

/// <summary>An endpoint of the Web host, as an attacker sees it: its path (with <c>{id}</c> where a route takes an id), who it is for, what it reads.</summary>
internal sealed record Target(string Method, string Path, Actor Actor, BodyKind Body = BodyKind.None, bool Csrf = false,
    string[]? Fields = null, string[]? NumberQuery = null, string[]? TextQuery = null)
{
    public string Name => $"{Method} {Path}";

    public string[] FieldNames => Fields ?? [];

    public bool IsPage => !Path.StartsWith("/api", StringComparison.Ordinal) && !Path.StartsWith("/health", StringComparison.Ordinal) && !Path.StartsWith("/internal", StringComparison.Ordinal);

    public bool HasRouteId => Path.Contains("{id}", StringComparison.Ordinal);

    public bool TakesBody => Body != BodyKind.None;
}

/// <summary>What a hostile request is made of, filled from a well-formed one and then spoiled by an attack.</summary>
internal sealed class Draft
{
    public required string Method { get; set; }

    public required string PathAndQuery { get; set; }

    public HostileInputFixture.Identity? Sender { get; set; }

    /// <summary>The API's X-XSRF-TOKEN header; null sends none.</summary>
    public string? Xsrf { get; set; }

    /// <summary>A page form's antiforgery field; null sends none.</summary>
    public string? FormToken { get; set; }

    public Dictionary<string, string> Fields { get; } = [];

    /// <summary>Replaces the body built from <see cref="Fields"/>.</summary>
    public HttpContent? RawBody { get; set; }

    /// <summary>The file of a multipart upload.</summary>
    public (string Field, string FileName, byte[] Bytes)? File { get; set; }

    public List<(string Name, string Value)> Headers { get; } = [];
}

/// <summary>An attack: the endpoints it fits, how it spoils a request, and the answer it must get.</summary>
internal sealed record Attack(string Name, Func<Target, bool> Fits, Action<Draft, Target, HostileInputFixture> Spoil, Func<Target, Expectation> Expect);

/// <summary>The answer an attack must get: the API's status, the page's status or statuses (none: any below 500, a page re-rendering its form with the error).</summary>
internal sealed record Expectation(Outcome Outcome, int? Status = null, int? PageStatus = null, int[]? PageStatuses = null)
{
    public static Expectation Api(int status, int? page = null) => new(Outcome.Refused, status, page);
}

/// <summary>The endpoints of the Web host and the hostile inputs each one gets.</summary>
internal static class HostileInputs
{
    public const string Injection = "x' OR '1'='1'; DROP TABLE accounts; -- \"); DELETE FROM failed_jobs; #";

    /// <summary>A 1×1 PNG.</summary>
    public static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");

    /// <summary>Larger than every body limit the host has, the picture upload's included.</summary>
    public static readonly int Oversized = (int)(RequestLimits.MaxBodyBytes + HostileInputFixture.PictureMaxBytes + (64 * 1024));

    private static readonly Dictionary<string, string> ValidValues = new()
    {
        ["email"] = "new-account@example.com",
        ["password"] = "correct horse battery",
        ["displayName"] = "A Valid Name",
        ["currentPassword"] = "not the current password",
        ["newPassword"] = "another good password",
        ["Email"] = "new-account@example.com",
        ["Password"] = "correct horse battery",
        ["DisplayName"] = "A Valid Name",
        ["ReturnUrl"] = "/profile",
        ["jobId"] = HostileInputFixture.FailedJobId,
        // Filters that match no failed job, and a manual slot long stale: a request that got through would still change nothing.
        ["type"] = "no-such-type",
        ["text"] = "no such text",
        ["job"] = "no-such-schedule",
        ["slot"] = "2026-01-01T00:00:00.5000000Z",
    };

    public static readonly Target[] Targets =
    [
        new("POST", "/api/account/register", Actor.Anonymous, BodyKind.Json, Fields: ["email", "password", "displayName"]),
        new("POST", "/api/account/login", Actor.Anonymous, BodyKind.Json, Fields: ["email", "password"]),
        new("POST", "/api/account/logout", Actor.User, Csrf: true),
        new("POST", "/api/account/password", Actor.User, BodyKind.Json, Csrf: true, Fields: ["currentPassword", "newPassword"]),
        new("GET", "/api/me", Actor.User),
        new("PUT", "/api/profile", Actor.User, BodyKind.Json, Csrf: true, Fields: ["displayName"]),
        new("PUT", "/api/profile/picture", Actor.User, BodyKind.Multipart, Csrf: true),
        new("GET", "/api/profile/picture", Actor.User, TextQuery: ["v"]),
        new("POST", "/api/reports", Actor.Admin, Csrf: true),
        new("GET", "/api/reports/{id}", Actor.Admin),
        new("GET", "/api/admin/queue", Actor.Admin),
        new("GET", "/api/admin/queue/failed", Actor.Admin, NumberQuery: ["limit", "before"], TextQuery: ["queue"]),
        new("GET", "/api/admin/queue/failed/{id}", Actor.Admin),
        new("POST", "/api/admin/queue/failed/{id}/retry", Actor.Admin, Csrf: true),
        new("POST", "/api/admin/queue/failed/retry", Actor.Admin, Csrf: true, TextQuery: ["queue"]),
        new("DELETE", "/api/admin/queue/failed/{id}", Actor.Admin, Csrf: true),
        new("GET", "/api/admin/schedule/runs", Actor.Admin, NumberQuery: ["limit"], TextQuery: ["job"]),
        new("GET", "/internal/diagnostics", Actor.Anonymous),
        new("GET", "/health/live", Actor.Anonymous),
        new("GET", "/health/ready", Actor.Anonymous),
        // Health checks answer any method.
        new("POST", "/health/live", Actor.Anonymous),
        new("POST", "/health/ready", Actor.Anonymous),
        new("POST", "/login", Actor.Anonymous, BodyKind.Form, Csrf: true, Fields: ["Email", "Password", "ReturnUrl"]),
        new("POST", "/register", Actor.Anonymous, BodyKind.Form, Csrf: true, Fields: ["Email", "Password", "DisplayName"]),
        new("POST", "/logout", Actor.User, BodyKind.Form, Csrf: true),
        new("POST", "/profile?handler=Name", Actor.User, BodyKind.Form, Csrf: true, Fields: ["DisplayName"]),
        new("POST", "/profile?handler=Picture", Actor.User, BodyKind.Multipart, Csrf: true),
        new("POST", "/reports", Actor.Admin, BodyKind.Form, Csrf: true),
        new("POST", "/admin/queue?handler=Retry", Actor.Admin, BodyKind.Form, Csrf: true, Fields: ["jobId"]),
        new("POST", "/admin/queue?handler=Delete", Actor.Admin, BodyKind.Form, Csrf: true, Fields: ["jobId"]),
        new("POST", "/admin/queue?handler=RetryAll", Actor.Admin, BodyKind.Form, Csrf: true),
        new("POST", "/admin/queue?handler=RetryMatching", Actor.Admin, BodyKind.Form, Csrf: true, Fields: ["type", "text"]),
        new("POST", "/admin/queue?handler=Pause", Actor.Admin, BodyKind.Form, Csrf: true, TextQuery: ["name"]),
        new("POST", "/admin/queue?handler=Resume", Actor.Admin, BodyKind.Form, Csrf: true, TextQuery: ["name"]),
        new("POST", "/admin/schedule?handler=RunNow", Actor.Admin, BodyKind.Form, Csrf: true, Fields: ["job", "slot"]),
        new("POST", "/admin/queue/jobs/{id}", Actor.Admin, BodyKind.Form, Csrf: true),
        // Pages without a form of their own: a post still meets antiforgery and authorization first.
        new("POST", "/", Actor.Anonymous, BodyKind.Form, Csrf: true),
        new("POST", "/admin/schedule", Actor.Admin, BodyKind.Form, Csrf: true),
        new("POST", "/admin/cluster", Actor.Admin, BodyKind.Form, Csrf: true),
        new("POST", "/admin/doctor", Actor.Admin, BodyKind.Form, Csrf: true),
        // The error pages take no input; they are reached by re-execution, or asked for directly.
        new("POST", "/error", Actor.Anonymous),
        new("POST", "/status/404", Actor.Anonymous),
    ];

    private static readonly Expectation AnyPageAnswer = new(Outcome.Refused);
    private static readonly Expectation ByServer = new(Outcome.RefusedByServer);

    public static readonly Attack[] Attacks =
    [
        // The body: what a broken or malicious client puts in it.
        new("malformed JSON", t => t.Body == BodyKind.Json, (d, t, _) => d.RawBody = Json("{\"" + t.FieldNames[0] + "\": \"a\", "), _ => Expectation.Api(400)),
        new("wrong types", t => t.Body == BodyKind.Json,
            (d, t, _) => d.RawBody = Json("{" + string.Join(",", t.FieldNames.Select(f => $"\"{f}\": [1, {{\"a\": true}}]")) + "}"),
            _ => Expectation.Api(400)),
        new("deep nesting", t => t.Body == BodyKind.Json, (d, t, _) => d.RawBody = Json($"{{\"{t.FieldNames[0]}\": {new string('[', 5000)}{new string(']', 5000)}}}"), _ => Expectation.Api(400)),
        new("invalid UTF-8", t => t.Body is BodyKind.Json or BodyKind.Form, (d, t, _) => d.RawBody = InvalidUtf8(t), t => t.IsPage ? AnyPageAnswer : Expectation.Api(400)),
        new("empty body", t => t.Body is BodyKind.Json or BodyKind.Multipart, (d, t, _) => d.RawBody = Empty(t), t => t.IsPage ? AnyPageAnswer : Expectation.Api(400)),
        new("wrong content type", t => t.Body is BodyKind.Json or BodyKind.Form or BodyKind.Multipart,
            (d, _, _) => d.RawBody = new StringContent("email=a&password=b", Encoding.UTF8, "text/plain"), t => t.IsPage ? AnyPageAnswer : Expectation.Api(t.Body == BodyKind.Json ? 415 : 400)),
        // A page's form is read by antiforgery first, which turns any unreadable form into its own 400.
        new("oversized body", t => t.TakesBody, (d, t, _) => Oversize(d, t), _ => new Expectation(Outcome.Refused, 413, PageStatuses: [400, 413])),
        new("oversized field", t => t.FieldNames.Length > 0, (d, t, _) => d.Fields[t.FieldNames[0]] = new string('a', 20 * 1024), t => t.IsPage ? AnyPageAnswer : Expectation.Api(400)),
        new("too many fields", t => t.Body == BodyKind.Form, (d, _, _) => AddFields(d, 200), _ => new Expectation(Outcome.Refused, PageStatuses: [400])),
        new("SQL injection in every field", t => t.FieldNames.Length > 0, (d, t, _) => Fill(d, t, Injection), _ => new Expectation(Outcome.Data)),

        // Uploads: refused by content and shape, never by trusting the name.
        new("multipart without a boundary", t => t.Body == BodyKind.Multipart, (d, _, _) => d.RawBody = Raw("--x\r\n", "multipart/form-data"), t => t.IsPage ? AnyPageAnswer : Expectation.Api(400)),
        new("malformed multipart", t => t.Body == BodyKind.Multipart,
            (d, _, _) => d.RawBody = Raw(
                "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\nno closing boundary",
                "multipart/form-data; boundary=b"),
            t => t.IsPage ? AnyPageAnswer : Expectation.Api(400)),
        new("path traversal in the file name", t => t.Body == BodyKind.Multipart, (d, _, _) => d.File = ("file", "../../../../etc/passwd", Encoding.UTF8.GetBytes("root:x:0:0:root:/root:/bin/sh\n")),
            t => t.IsPage ? AnyPageAnswer : Expectation.Api(415)),
        new("file in the wrong field", t => t.Body == BodyKind.Multipart, (d, _, _) => d.File = ("avatar", "me.png", Png), t => t.IsPage ? AnyPageAnswer : Expectation.Api(400)),

        // The URL: query parameters and ids in the path.
        new("text for a number in the query", t => t.NumberQuery is not null, (d, t, _) => Query(d, t.NumberQuery!, "abc"), _ => Expectation.Api(400)),
        new("SQL injection in the query", t => t.NumberQuery is not null || t.TextQuery is not null, (d, t, _) => Query(d, [.. t.NumberQuery ?? [], .. t.TextQuery ?? []], Injection),
            t => t.NumberQuery is not null ? Expectation.Api(400) : new Expectation(Outcome.Data)),
        new("path traversal in the id", t => t.HasRouteId, (d, t, _) => d.PathAndQuery = t.Path.Replace("{id}", "..%2F..%2F..%2Fetc%2Fpasswd", StringComparison.Ordinal), _ => Expectation.Api(404)),
        new("backslash traversal in the id", t => t.HasRouteId, (d, t, _) => d.PathAndQuery = t.Path.Replace("{id}", "..%5C..%5Cweb.config", StringComparison.Ordinal), _ => Expectation.Api(404)),
        new("SQL injection in the id", t => t.HasRouteId, (d, t, _) => d.PathAndQuery = t.Path.Replace("{id}", Uri.EscapeDataString(Injection), StringComparison.Ordinal), _ => Expectation.Api(404)),
        new("an id that does not exist", t => t.HasRouteId, (d, t, _) => d.PathAndQuery = t.Path.Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal), _ => Expectation.Api(404)),

        // Headers: floods Kestrel refuses before any of the app runs.
        new("header flood", _ => true, (d, _, _) => d.Headers.AddRange(Enumerable.Range(0, RequestLimits.MaxHeaderCount + 10).Select(i => ($"X-Flood-{i}", "1"))), _ => ByServer),
        new("huge header", _ => true, (d, _, _) => d.Headers.Add(("X-Huge", new string('h', RequestLimits.MaxHeadersTotalBytes + 1024))), _ => ByServer),
        new("huge cookie", _ => true, (d, _, _) => d.Headers.Add(("Cookie", "big=" + new string('c', RequestLimits.MaxHeadersTotalBytes + 1024))), _ => ByServer),
        new("overlong URL", _ => true,
            (d, _, _) => d.PathAndQuery += (d.PathAndQuery.Contains('?', StringComparison.Ordinal) ? "&" : "?")
                + "pad=" + new string('p', RequestLimits.MaxRequestLineBytes),
            _ => ByServer),

        // CSRF: a signed-in victim's browser made to send the request by another site.
        new("missing CSRF token", t => t.Csrf, (d, _, _) => (d.Xsrf, d.FormToken) = (null, null), _ => Expectation.Api(400, page: 400)),
        new("forged CSRF token", t => t.Csrf,
            (d, _, _) => (d.Xsrf, d.FormToken) = (d.Xsrf is null ? null : "CfDJ8forged", d.FormToken is null ? null : "CfDJ8forged"),
            _ => Expectation.Api(400, page: 400)),
        new("another user's CSRF token", t => t.Csrf && t.Actor != Actor.Anonymous, (d, t, f) =>
        {
            var thief = t.Actor == Actor.User ? f.Other : f.User;
            (d.Xsrf, d.FormToken) = (d.Xsrf is null ? null : thief.Xsrf, d.FormToken is null ? null : thief.FormToken);
        }, _ => Expectation.Api(400, page: 400)),

        // Access: no session, the wrong role, someone else's things.
        // Signing out needs no session (twice is fine), so there only the missing CSRF token stops it.
        new("no session", t => t.Actor != Actor.Anonymous, (d, _, _) => d.Sender = d.Sender! with { Cookies = "" },
            t => new Expectation(Outcome.Refused, t.Path == "/api/account/logout" ? 400 : 401, PageStatuses: [302, 400])),
        new("signed in without the admin role", t => t.Actor == Actor.Admin, (d, _, f) => Impersonate(d, f.User), _ => new Expectation(Outcome.Refused, 403, PageStatuses: [302])),
        new("another user's report id", t => t.Path == "/api/reports/{id}", (d, _, f) => Impersonate(d, f.User), _ => Expectation.Api(403)),
        new("another user's picture id", t => t is { Method: "GET", Path: "/api/profile/picture" }, (d, _, f) =>
        {
            Impersonate(d, f.Other);
            d.PathAndQuery = $"/api/profile/picture?v={f.PictureVersion}";
        }, _ => Expectation.Api(404)),
        new("error page asked for directly", t => t.Path is "/error" or "/status/404", (_, _, _) => { }, _ => new Expectation(Outcome.Refused, PageStatuses: [404])),
        new("forwarded from outside", t => t.Path == "/internal/diagnostics", (d, _, _) => d.Headers.Add(("X-Forwarded-For", "203.0.113.7")), _ => Expectation.Api(404)),
    ];

    /// <summary>A well-formed request to <paramref name="target"/>, before any attack spoils it.</summary>
    public static Draft WellFormed(Target target, HostileInputFixture fixture)
    {
        var sender = target.Actor switch
        {
            Actor.User => fixture.User,
            Actor.Admin => fixture.Admin,
            _ when target.IsPage => fixture.Visitor,
            _ => null,
        };
        var draft = new Draft
        {
            Method = target.Method,
            PathAndQuery = target.Path.Replace(
                "{id}",
                target.Path.StartsWith("/api/reports", StringComparison.Ordinal) ? fixture.ReportId.ToString() : HostileInputFixture.FailedJobId,
                StringComparison.Ordinal),
            Sender = sender,
            Xsrf = target.Csrf && !target.IsPage ? sender?.Xsrf : null,
            FormToken = target.Csrf && target.IsPage ? sender?.FormToken : null,
        };
        foreach (var field in target.FieldNames)
        {
            draft.Fields[field] = ValidValues[field];
        }

        if (target.Body == BodyKind.Multipart)
        {
            draft.File = ("file", "me.png", Png);
        }

        return draft;
    }

    public static HttpRequestMessage Build(Draft draft, Target target, Uri host)
    {
        var request = new HttpRequestMessage(new HttpMethod(draft.Method), new Uri(host, draft.PathAndQuery));
        if (draft.Sender is { Cookies.Length: > 0 } sender)
        {
            request.Headers.TryAddWithoutValidation("Cookie", sender.Cookies);
        }

        if (draft.Xsrf is not null)
        {
            request.Headers.TryAddWithoutValidation("X-XSRF-TOKEN", draft.Xsrf);
        }

        foreach (var (name, value) in draft.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        request.Content = draft.RawBody ?? target.Body switch
        {
            BodyKind.Json => Json(System.Text.Json.JsonSerializer.Serialize(draft.Fields)),
            BodyKind.Form => new FormUrlEncodedContent(WithToken(draft)),
            BodyKind.Multipart => Multipart(draft),
            _ => null,
        };
        return request;
    }

    private static Dictionary<string, string> WithToken(Draft draft)
    {
        var fields = new Dictionary<string, string>(draft.Fields);
        if (draft.FormToken is not null)
        {
            fields["__RequestVerificationToken"] = draft.FormToken;
        }

        return fields;
    }

    private static MultipartFormDataContent Multipart(Draft draft)
    {
        var content = new MultipartFormDataContent();
        foreach (var (name, value) in WithToken(draft))
        {
            content.Add(new StringContent(value), name);
        }

        if (draft.File is var (field, fileName, bytes))
        {
            var file = new ByteArrayContent(bytes);
            file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            content.Add(file, field, fileName);
        }

        return content;
    }

    private static void Oversize(Draft draft, Target target)
    {
        if (target.Body == BodyKind.Multipart)
        {
            draft.File = ("file", "big.png", [.. Png, .. new byte[Oversized]]);
        }
        else if (target.FieldNames.Length > 0)
        {
            draft.Fields[target.FieldNames[0]] = new string('a', Oversized);
        }
        else
        {
            // A form without fields still parses its body for the antiforgery token.
            draft.Fields["padding"] = new string('a', Oversized);
        }
    }

    private static void AddFields(Draft draft, int count)
    {
        for (var i = 0; i < count; i++)
        {
            draft.Fields[$"f{i}"] = "1";
        }
    }

    private static void Fill(Draft draft, Target target, string value)
    {
        foreach (var field in target.FieldNames)
        {
            draft.Fields[field] = value;
        }
    }

    private static void Query(Draft draft, string[] names, string value) =>
        draft.PathAndQuery += (draft.PathAndQuery.Contains('?', StringComparison.Ordinal) ? "&" : "?") + string.Join("&", names.Select(n => $"{n}={Uri.EscapeDataString(value)}"));

    private static void Impersonate(Draft draft, HostileInputFixture.Identity who)
    {
        draft.Sender = who;
        draft.Xsrf = draft.Xsrf is null ? null : who.Xsrf;
        draft.FormToken = draft.FormToken is null ? null : who.FormToken;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static ByteArrayContent Raw(string body, string contentType)
    {
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    private static ByteArrayContent Empty(Target target)
    {
        var content = new ByteArrayContent([]);
        content.Headers.TryAddWithoutValidation("Content-Type", target.Body == BodyKind.Multipart ? "multipart/form-data; boundary=b" : "application/json");
        return content;
    }

    /// <summary>A lone continuation byte and a truncated sequence in the first field's value.</summary>
    private static ByteArrayContent InvalidUtf8(Target target)
    {
        byte[] bad = [0xC3, 0x28, 0xA0, 0xA1, 0xE2, 0x82];
        if (target.Body == BodyKind.Json)
        {
            var json = new List<byte>(Encoding.ASCII.GetBytes($"{{\"{target.FieldNames[0]}\": \""));
            json.AddRange(bad);
            json.AddRange("\"}"u8.ToArray());
            var content = new ByteArrayContent([.. json]);
            content.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=utf-8");
            return content;
        }

        var form = new List<byte>(Encoding.ASCII.GetBytes(target.FieldNames.Length > 0 ? $"{target.FieldNames[0]}=" : "x="));
        form.AddRange(bad);
        var raw = new ByteArrayContent([.. form]);
        raw.Headers.TryAddWithoutValidation("Content-Type", "application/x-www-form-urlencoded");
        return raw;
    }
}
