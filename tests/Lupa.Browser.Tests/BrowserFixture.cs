using Lupa.Tests;
using Microsoft.Playwright;

namespace Lupa.Browser.Tests;

/// <summary>
/// One running Lupa and one headless Chromium per test class. The browser is Debian's Chromium
/// (or LUPA_CHROMIUM); Playwright's Node driver comes inside its NuGet package, and no browser is
/// ever downloaded. Each test opens its own context, so cookies do not leak between tests. A subclass
/// may give the host settings of its own.
/// </summary>
public class BrowserFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private LupaTestHost? _host;

    public LupaTestHost Host => _host ?? throw new InvalidOperationException("not started");
    public IBrowser Browser => _browser ?? throw new InvalidOperationException("not started");

    public static string ChromiumPath =>
        Environment.GetEnvironmentVariable("LUPA_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    /// <summary>Settings for the host, or null for the defaults.</summary>
    protected virtual Task<IDictionary<string, string?>?> HostSettingsAsync() => Task.FromResult<IDictionary<string, string?>?>(null);

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        var hostTask = LupaTestHost.StartAsync(await HostSettingsAsync());
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        _host = await hostTask;
    }

    /// <summary>A fresh browser context (own cookies) with a 1280x900 viewport, on Lupa's address.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Host.BaseUrl,
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            Locale = "en-GB",
        });
        context.SetDefaultTimeout(10_000);
        return await context.NewPageAsync();
    }

    public virtual async Task DisposeAsync()
    {
        if (_browser is not null)
            await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_host is not null)
            await _host.DisposeAsync();
    }
}

/// <summary>Where the screenshots in the repository's docs/screenshots go.</summary>
public static class Screenshots
{
    private static readonly Lazy<string> Folder = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Lupa.slnx")))
            {
                var folder = Path.Combine(dir.FullName, "docs", "screenshots");
                Directory.CreateDirectory(folder);
                return folder;
            }
        }
        throw new InvalidOperationException("Lupa.slnx not found above " + AppContext.BaseDirectory);
    });

    public static Task TakeAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Folder.Value, name), FullPage = true });
}

/// <summary>Steps many admin tests share.</summary>
public static class AdminPages
{
    /// <summary>Logs in through the login page and waits for the signed-in navigation.</summary>
    public static async Task LogInAsync(IPage page, string email, string password)
    {
        await page.GotoAsync("/admin/login");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Assertions.Expect(page.Locator("#signed-in-email")).ToHaveTextAsync(email);
    }
}
