using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;

namespace SecondServer.Tests.Faults;

/// <summary>
/// Every endpoint of the Web host (API, pages' form posts, health and internal endpoints) against every hostile
/// input that fits it, on real Kestrel with real MySQL, Redis and S3 behind: each endpoint × input is a case of its
/// own. The answer is a 4xx (problem+json from the API, an HTML page from pages, a bare status or a closed
/// connection where Kestrel refuses before the app), never a 5xx or a stack trace, and nothing in MySQL, S3 or the
/// sessions in Redis changed.
/// </summary>
public sealed partial class HostileInputTests(HostileInputFixture fixture) : IClassFixture<HostileInputFixture>
{
    public static TheoryData<string, string> Cases { get; } = new(
        from target in HostileInputs.Targets
        from attack in HostileInputs.Attacks
        where attack.Fits(target)
        select (target.Name, attack.Name));

    [Fact]
    public void Every_endpoint_the_host_maps_is_attacked()
    {
        var mapped = fixture.Web.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>().Endpoints
            .OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IHttpMethodMetadata>()?.HttpMethods ?? ["GET", "POST"])
                .Select(m => (Method: m, Route: "/" + e.RoutePattern.RawText!.Trim('/'))))
            // GET handlers of pages take no input; their POST handlers are the forms.
            .Where(e => e.Method != "GET"
                || e.Route.StartsWith("/api", StringComparison.Ordinal)
                || e.Route.StartsWith("/health", StringComparison.Ordinal)
                || e.Route.StartsWith("/internal", StringComparison.Ordinal))
            .Select(e => $"{e.Method} {Regex.Replace(e.Route, "\\{[^}]+\\}", "{id}")}")
            .ToHashSet();
        var attacked = HostileInputs.Targets.Select(t => $"{t.Method} {(t.Path.Split('?')[0] is var p && p.StartsWith("/status/", StringComparison.Ordinal) ? "/status/{id}" : p)}").ToHashSet();

        Assert.Empty(mapped.Except(attacked).Order());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_hostile_request_is_refused_and_changes_nothing(string endpoint, string input)
    {
        var target = HostileInputs.Targets.Single(t => t.Name == endpoint);
        var attack = HostileInputs.Attacks.Single(a => a.Name == input);
        var draft = HostileInputs.WellFormed(target, fixture);
        attack.Spoil(draft, target, fixture);
        var expected = attack.Expect(target);
        var before = await fixture.SnapshotAsync();

        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };
        using var request = HostileInputs.Build(draft, target, fixture.Address);
        HttpResponseMessage? response = null;
        try
        {
            response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        }
        catch (HttpRequestException) when (expected.Outcome == Outcome.RefusedByServer)
        {
            // Kestrel may close the connection while the request is still being sent.
        }

        using var answer = response;
        var status = (int?)answer?.StatusCode;
        var mediaType = answer?.Content.Headers.ContentType?.MediaType;
        var body = answer is null ? "" : await answer.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var after = await fixture.SnapshotAsync();
        var said = $"{endpoint} with {input} answered {status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "a closed connection"} {mediaType}: {body[..Math.Min(body.Length, 300)]}";

        Assert.False(status >= 500, said);
        Assert.DoesNotMatch(StackTrace(), body);
        switch (expected.Outcome)
        {
            case Outcome.RefusedByServer:
                Assert.True(answer is null || (status is >= 400 and < 500 && body.Length == 0), said);
                break;
            case Outcome.Refused when target.IsPage:
                Assert.True(
                    expected.PageStatus is { } page ? status == page : expected.PageStatuses is { } pages ? pages.Contains(status!.Value) : status < 500,
                    said);
                Assert.True(body.Length == 0 || mediaType == "text/html", said);
                break;
            case Outcome.Refused:
                Assert.True(status == expected.Status, said);
                AssertProblem(answer!, body, said);
                break;
            case Outcome.Data when status >= 400 && !target.IsPage:
                AssertProblem(answer!, body, said);
                break;
        }

        // Taken as data, a value may land in the sender's own account row (a display name); nowhere else.
        var sender = draft.Sender?.Email;
        var changes = before.Except(after).Concat(after.Except(before))
            .Where(line => expected.Outcome != Outcome.Data
                || sender is null
                || !(line.StartsWith("accounts:", StringComparison.Ordinal) && line.Contains($"email={sender} ", StringComparison.Ordinal)));
        Assert.True(!changes.Any(), $"{said}\nchanged: {string.Join("\n", changes)}");
    }

    private static void AssertProblem(HttpResponseMessage answer, string body, string said)
    {
        Assert.True(answer.Content.Headers.ContentType?.MediaType == "application/problem+json", said);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal((int)answer.StatusCode, problem.GetProperty("status").GetInt32());
        Assert.True(problem.TryGetProperty("title", out _), said);
    }

    /// <summary>A .NET stack frame or exception type name: what must never reach a client.</summary>
    [GeneratedRegex(@"\bat [\w.`<>]+\(|\b[\w.]+Exception\b|\.cs:line \d+")]
    private static partial Regex StackTrace();
}
