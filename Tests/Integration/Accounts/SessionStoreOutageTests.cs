using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Accounts;

/// <summary>With Redis down, sign-in answers 503 naming it: no silent local fallback that would split sessions.</summary>
public sealed class SessionStoreOutageTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    public async ValueTask InitializeAsync() => _cluster = await TestCluster.StartAsync(0, 0, null, TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Sign_in_and_session_reads_answer_503_while_Redis_is_down()
    {
        var password = Guid.NewGuid().ToString("N");
        await using var redis = await ServerContainer.StartRedisAsync(password);
        await using var web = await _cluster.StartWebAsync("web-outage", TestContext.Current.CancellationToken, s => s["ConnectionStrings:redis"] = $"127.0.0.1:{redis.Port},password={password}");
        using var browser = new Browser();
        await browser.SignUpAndInAsync(web.Address, "kim@example.com");

        await redis.StopAsync();
        using var login = await new Browser().PostAsync(web.Address, "/api/account/login", new { email = "kim@example.com", password = "correct horse battery" });
        using var me = await browser.GetAsync(web.Address, "/api/me");

        foreach (var response in new[] { login, me })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
            Assert.Equal("Redis is unavailable.", problem.GetProperty("title").GetString());
            Assert.False(problem.TryGetProperty("exception", out _));
        }
    }
}
