using System.Text.RegularExpressions;
using Microsoft.Playwright;
using SecondServer.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace SecondServer.Tests.EndToEnd;

/// <summary>How a browser test becomes the configured administrator: the way a person does, through the sign-in page.</summary>
internal static class AdminSignIn
{
    public const string Email = "admin@example.com";
    public const string Password = "correct horse battery";

    /// <summary>
    /// Opens <paramref name="path"/> through the balancer signed out, is sent to sign in, signs in as the administrator
    /// and lands back on <paramref name="path"/>.
    /// </summary>
    public static async Task OpenAsAdminAsync(IPage page, ClusterFixture cluster, string path)
    {
        // The administrator may exist already (other cluster tests make it): registering tolerates that.
        using (var http = new Browser())
        {
            await http.SignUpAndInAsync(cluster.Balancer, Email, Password, "The Admin");
        }

        await page.GotoAsync(new Uri(cluster.Balancer, path).ToString());
        await Expect(page).ToHaveURLAsync(new Regex($"/login\\?ReturnUrl={Regex.Escape(Uri.EscapeDataString(path))}$"));
        await page.GetByLabel("Email").FillAsync(Email);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Uri(cluster.Balancer, path).ToString());
    }
}
