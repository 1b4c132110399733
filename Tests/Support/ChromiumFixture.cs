using Microsoft.Playwright;

namespace SecondServer.Tests.Support;

/// <summary>
/// Playwright driving the machine's own Chromium (Debian's package, which scripts/test installs), launched once per
/// test class that takes it as a class fixture. Each test gets a fresh context (its own cookies and storage) through
/// <see cref="RunAsync"/>, which fails the test on anything the pages' Content-Security-Policy blocked, and keeps a
/// full-page screenshot of the page when the test fails.
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    /// <summary>Overrides where Chromium is, for machines that have it elsewhere.</summary>
    public const string ExecutableVariable = "SECONDSERVER_CHROMIUM";

    private const string DefaultExecutable = "/usr/bin/chromium";

    // Without the background-networking, component-update and sync switches Chromium phones home at start, and a
    // closed network answers those connections with refusals that slow the launch and fill its log.
    private static readonly string[] Arguments =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public static string ExecutablePath => Environment.GetEnvironmentVariable(ExecutableVariable) is { Length: > 0 } path ? path : DefaultExecutable;

    /// <summary>Set to write the documentation's screenshots (docs/screenshots, shown by docs/pages.md) instead of copies under .data.</summary>
    public const string ReadmeScreenshotsVariable = "SECONDSERVER_README_SCREENSHOTS";

    /// <summary>
    /// A page as docs/pages.md shows it: into docs/screenshots when <see cref="ReadmeScreenshotsVariable"/> is set, else
    /// under <see cref="ScreenshotDirectory"/>/pages, so an ordinary run never changes the committed pictures.
    /// </summary>
    public static async Task SaveReadmeScreenshotAsync(IPage page, string name)
    {
        var folder = Environment.GetEnvironmentVariable(ReadmeScreenshotsVariable) is { Length: > 0 }
            ? Path.Combine(TestEnvironment.RepositoryRoot, "docs", "screenshots")
            : Path.Combine(ScreenshotDirectory, "pages");
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, name), FullPage = true });
    }

    /// <summary>Where failed tests leave their screenshots; scripts/test lists them after the run.</summary>
    public static string ScreenshotDirectory => Path.Combine(TestEnvironment.RepositoryRoot, ".data", "test", "screenshots");

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException($"Chromium is not at {ExecutablePath}: install Debian's chromium package (scripts/test does) or set {ExecutableVariable}.");
        }

        // Pages render on a machine that also runs the rest of the suite; Playwright's 5 s default for an assertion is
        // too tight there, while a wait that never ends must still fail.
        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = Arguments,
            Timeout = 60_000,
        });
    }

    /// <summary>
    /// Runs <paramref name="test"/> in a fresh browser context. When it throws, the page is saved as
    /// <c>.data/test/screenshots/&lt;TestClass&gt;.&lt;TestMethod&gt;.png</c> and its path written to the test's output
    /// before the exception goes on.
    /// </summary>
    public async Task RunAsync(Func<IPage, Task> test)
    {
        var browser = _browser ?? throw new InvalidOperationException("The browser is not launched: use ChromiumFixture as a class fixture.");
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        var blocked = new System.Collections.Concurrent.ConcurrentQueue<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                blocked.Enqueue(message.Text);
            }
        };
        try
        {
            await test(page);
            // The pages run under a Content-Security-Policy: whatever it blocked is broken for real users, even where
            // the test's own checks passed without it.
            Assert.Empty(blocked);
        }
        catch (Exception)
        {
            await SaveScreenshotAsync(page);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }

    private static async Task SaveScreenshotAsync(IPage page)
    {
        var output = TestContext.Current.TestOutputHelper;
        var name = $"{TestContext.Current.TestClass?.TestClassSimpleName ?? "Unknown"}.{TestContext.Current.TestMethod?.MethodName ?? "Unknown"}.png";
        var path = Path.Combine(ScreenshotDirectory, name);
        try
        {
            Directory.CreateDirectory(ScreenshotDirectory);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true, Timeout = 10_000 });
            output?.WriteLine($"screenshot of {page.Url}: {path}");
        }
        catch (Exception ex) when (ex is PlaywrightException or IOException)
        {
            // A crashed or closed page cannot be photographed; the test's own failure is what matters.
            output?.WriteLine($"no screenshot of {page.Url}: {ex.Message}");
        }
    }
}
