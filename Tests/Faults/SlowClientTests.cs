using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using SecondServer.Web.Hardening;

namespace SecondServer.Tests.Faults;

/// <summary>
/// Slow clients, the kind that holds connections open to starve a server (slowloris): headers that never finish,
/// bodies that trickle. Every endpoint at once, each on its own raw connection; Kestrel's limits
/// (<see cref="RequestLimits"/>) must cut each one off, answering a bare 408 or closing, and nothing may change.
/// </summary>
public sealed class SlowClientTests(HostileInputFixture fixture) : IClassFixture<HostileInputFixture>
{
    /// <summary>A byte every half second: far below any rate a real client sends at.</summary>
    private static readonly TimeSpan Trickle = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task Headers_that_never_finish_are_cut_off_at_the_headers_timeout_on_every_endpoint()
    {
        var before = await fixture.SnapshotAsync();

        var answers = await Task.WhenAll(HostileInputs.Targets.Select(target => SlowlyAsync(target, $"{target.Method} {Path(target)} HTTP/1.1\r\nHost: {fixture.Address.Authority}\r\nX-Slow: ")));

        Assert.All(answers, answer =>
        {
            Assert.True(answer.Status is null or 408, answer.ToString());
            // Cut off by the timeout, not by anything sooner; the timeout is checked on Kestrel's one-second heartbeat.
            Assert.InRange(answer.Elapsed, RequestLimits.RequestHeadersTimeout - TimeSpan.FromSeconds(1), RequestLimits.RequestHeadersTimeout + TimeSpan.FromSeconds(10));
        });
        Assert.Equal(before, await fixture.SnapshotAsync());
    }

    [Fact]
    public async Task A_body_that_trickles_is_cut_off_after_the_grace_period_on_every_endpoint_that_reads_one()
    {
        var before = await fixture.SnapshotAsync();

        var targets = HostileInputs.Targets.Where(t => t.TakesBody).ToList();
        var answers = await Task.WhenAll(targets.Select(target => SlowlyAsync(target, Head(target))));

        Assert.All(targets.Zip(answers), pair =>
        {
            var (target, answer) = pair;
            // A page's form is read by antiforgery, which turns the timed-out read into its own 400.
            Assert.True(answer.Status is null or 408 || (target.IsPage && answer.Status == 400), answer.ToString());
            Assert.InRange(answer.Elapsed, RequestLimits.MinRequestBodyDataRate.GracePeriod - TimeSpan.FromSeconds(1), RequestLimits.MinRequestBodyDataRate.GracePeriod + TimeSpan.FromSeconds(10));
        });
        Assert.Equal(before, await fixture.SnapshotAsync());
    }

    private static string Path(Target target) => target.Path.Replace("{id}", HostileInputFixture.FailedJobId, StringComparison.Ordinal);

    /// <summary>Complete, valid headers (the sender's cookies and tokens) announcing a body within every limit, far more than will ever come.</summary>
    private string Head(Target target)
    {
        var draft = HostileInputs.WellFormed(target, fixture);
        var head = new StringBuilder($"{target.Method} {draft.PathAndQuery} HTTP/1.1\r\nHost: {fixture.Address.Authority}\r\nContent-Length: {RequestLimits.MaxBodyBytes - 1024}\r\n");
        if (draft.Sender is { Cookies.Length: > 0 } sender)
        {
            head.Append($"Cookie: {sender.Cookies}\r\n");
        }

        if (draft.Xsrf is not null)
        {
            head.Append($"X-XSRF-TOKEN: {draft.Xsrf}\r\n");
        }

        head.Append(target.Body switch
        {
            BodyKind.Json => "Content-Type: application/json\r\n\r\n{\"a\": \"",
            BodyKind.Multipart => "Content-Type: multipart/form-data; boundary=b\r\n\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n",
            _ => $"Content-Type: application/x-www-form-urlencoded\r\n\r\n__RequestVerificationToken={Uri.EscapeDataString(draft.FormToken ?? "")}&a=",
        });
        return head.ToString();
    }

    /// <summary>Sends <paramref name="head"/>, then one byte at a time until the server answers or closes; at most 30 s.</summary>
    private async Task<Answer> SlowlyAsync(Target target, string head)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(fixture.Address.Host, fixture.Address.Port, deadline.Token);
        var stream = tcp.GetStream();
        var clock = Stopwatch.StartNew();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), deadline.Token);

        var reading = ReadUntilClosedAsync(stream, deadline.Token);
        using var pace = new PeriodicTimer(Trickle);
        try
        {
            while (!reading.IsCompleted && await pace.WaitForNextTickAsync(deadline.Token))
            {
                await stream.WriteAsync("a"u8.ToArray(), deadline.Token);
            }
        }
        catch (IOException)
        {
            // Closed by the server while sending: what is wanted; the answer, if any, is read below.
        }

        var response = await reading;
        var elapsed = clock.Elapsed;
        var status = response.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && int.TryParse(response.AsSpan(9, 3), out var code) ? code : (int?)null;
        return new Answer(target.Name, status, elapsed, response.Length > 300 ? response[..300] : response);
    }

    private static async Task<string> ReadUntilClosedAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
            // A reset after the answer is a close too.
        }

        return Encoding.ASCII.GetString(received.ToArray());
    }

    private sealed record Answer(string Endpoint, int? Status, TimeSpan Elapsed, string Response);
}
