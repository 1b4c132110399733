using System.Net;

namespace SecondServer.Tests.Support;

/// <summary>The requests a CSRF attacker can make with a victim's cookies, shared by the in-process and the cluster tests.</summary>
internal static class CsrfProbe
{
    private static readonly string[] Cases = ["none", "garbage", "another user's"];

    /// <summary>What <see cref="RefusedAsync"/> returns when every forged request is refused, as the contract says.</summary>
    public static Dictionary<string, (HttpStatusCode Status, string? MediaType)> AllRefused { get; } =
        Cases.ToDictionary(c => c, _ => (HttpStatusCode.BadRequest, (string?)"application/problem+json"));

    /// <summary>
    /// A profile change by <paramref name="victim"/>'s browser on <paramref name="host"/> without a token, with a
    /// garbage one, and with <paramref name="other"/>'s valid token (a signed-in attacker's own); each answer by case.
    /// </summary>
    public static async Task<Dictionary<string, (HttpStatusCode Status, string? MediaType)>> RefusedAsync(Browser victim, Browser other, Uri host)
    {
        var othersToken = other.Cookie(host, "XSRF-TOKEN") ?? throw new InvalidOperationException("the other browser has no XSRF-TOKEN cookie");
        Assert.NotEqual(othersToken, victim.Cookie(host, "XSRF-TOKEN"));
        var answers = new Dictionary<string, (HttpStatusCode, string?)>();
        foreach (var (name, token) in Cases.Zip<string, string?>([null, "CfDJ8garbage-not-a-token", othersToken]))
        {
            victim.SendXsrfHeader = false;
            using var response = await victim.SendAsync(HttpMethod.Put, host, "/api/profile", new { displayName = "Forged" }, token);
            victim.SendXsrfHeader = true;
            answers[name] = (response.StatusCode, response.Content.Headers.ContentType?.MediaType);
        }

        return answers;
    }
}
