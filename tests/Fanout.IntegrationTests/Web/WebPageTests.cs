using Fanout.Host.Web;
using Fanout.IntegrationTests.EndToEnd;
using Fanout.LocalDev;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;
using Xunit;

namespace Fanout.IntegrationTests.Web;

/// <summary>
/// The web page in a real browser: Debian's chromium driven by chromedriver (Selenium), against the host as a process.
/// CI installs both (<c>.ci/run</c>); the screenshot of the finished batch is kept under <c>TestResults/</c>.
/// </summary>
public sealed class WebPageTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private const string Chromium = "/usr/bin/chromium";
    private const string ChromeDriver = "/usr/bin/chromedriver";

    [Fact]
    public void A_batch_submitted_through_the_page_reaches_100_percent_and_shows_its_first_results()
    {
        Assert.True(File.Exists(Chromium) && File.Exists(ChromeDriver), "The browser test needs Debian's chromium and chromium-driver: apt-get install chromium chromium-driver (.ci/run does).");
        fixture.Simulator.Options.LatencyMs = 100;
        try
        {
            using var driver = StartBrowser();
            driver.Navigate().GoToUrl(fixture.Host.BaseAddress);
            var wait = new WebDriverWait(driver, TimeSpan.FromMinutes(2)) { PollingInterval = TimeSpan.FromMilliseconds(100) };
            wait.Until(d => d.FindElement(By.Id("health")).Text == "healthy");

            driver.FindElement(By.Id("prompts")).SendKeys(string.Join("\n", Enumerable.Range(0, 60).Select(i => $"Browser prompt {i}: name a colour")));
            var cap = driver.FindElement(By.Id("max-concurrency"));
            cap.Clear();
            cap.SendKeys("4");
            driver.FindElement(By.Id("deadline")).SendKeys("6h");

            // The estimate (a dry run) comes before the submit: nothing is stored, the counts are shown.
            driver.FindElement(By.Id("estimate")).Click();
            wait.Until(d => d.FindElement(By.Id("submit-message")).Text.StartsWith("Estimate: 60 lines (0 invalid)", StringComparison.Ordinal));
            Assert.Contains("prompt tokens", driver.FindElement(By.Id("submit-message")).Text, StringComparison.Ordinal);
            Assert.Contains("Plans: live: ", driver.FindElement(By.Id("submit-message")).Text, StringComparison.Ordinal);
            driver.FindElement(By.Id("submit")).Click();

            // The progress bar is fed by the event stream: it moves while the batch runs, then reaches 100 %.
            var seen = new HashSet<string>();
            wait.Until(d =>
            {
                seen.Add(d.FindElement(By.Id("progress-text")).Text);
                return d.FindElement(By.Id("detail-status")).Text == "completed";
            });
            Assert.Equal("100%", driver.FindElement(By.Id("progress-text")).Text);
            Assert.Contains(seen, s => s != "0%" && s != "100%");
            Assert.Equal("60 / 60", driver.FindElement(By.Id("fig-done")).Text);

            // The cost and the split by tier: the single endpoint is a standard member, priced by the fixture's Fanout:Pricing.
            Assert.Matches(@"^0\.\d{4} USD$", driver.FindElement(By.Id("fig-cost")).Text);
            Assert.StartsWith("provisioned 0 (0.0000) · standard 60 (0.", driver.FindElement(By.Id("fig-tiers")).Text, StringComparison.Ordinal);

            // The list may be drawn again between reading it and reading an item: read the texts together, again if stale.
            string[] first = [];
            wait.Until(d =>
            {
                try
                {
                    first = [.. d.FindElements(By.CssSelector("#results li")).Select(e => e.Text)];
                    return first.Length == 20;
                }
                catch (StaleElementReferenceException)
                {
                    return false;
                }
            });
            Assert.StartsWith("0: ", first[0], StringComparison.Ordinal);
            Assert.StartsWith("19: ", first[19], StringComparison.Ordinal);
            var id = driver.FindElement(By.Id("detail-id")).Text;
            wait.Until(d => d.FindElements(By.CssSelector($"#batches tr[data-id='{id}']")).Count == 1);

            var shot = Path.Combine(ResultsDirectory(), "web-page-finished-batch.png");
            ((ITakesScreenshot)driver).GetScreenshot().SaveAsFile(shot);
            Assert.True(new FileInfo(shot).Length > 10_000);
        }
        finally
        {
            fixture.Simulator.Options.LatencyMs = 10;
        }
    }

    [Fact]
    public async Task With_keys_on_the_page_asks_for_the_key_once_and_sends_it_as_a_bearer_token()
    {
        Assert.True(File.Exists(Chromium) && File.Exists(ChromeDriver), "The browser test needs Debian's chromium and chromium-driver: apt-get install chromium chromium-driver (.ci/run does).");

        // The page's own files in front of a service that wants a key (as the host does with Fanout:Host:ApiKey).
        var seen = new List<string>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        app.UseFanoutWebPage();
        app.MapGet("/healthz", () => Results.Json(new { status = "ok" }));
        app.MapGet("/api/batches", (HttpRequest request) =>
        {
            var auth = request.Headers.Authorization.ToString();
            lock (seen)
            {
                seen.Add(auth);
            }

            return auth != "Bearer sekret"
                ? Results.Json(new { error = new { code = "unauthorized", message = "A key is required." } }, statusCode: StatusCodes.Status401Unauthorized)
                : Results.Json(new
                {
                    @object = "list",
                    has_more = false,
                    data = new[]
                    {
                        new { id = "batch_stub", @object = "batch", status = "completed", created_at = 1_764_000_000, request_counts = new { total = 3, completed = 3, failed = 0 } },
                    },
                });
        });
        await app.StartAsync();

        using var driver = StartBrowser();
        var wait = new WebDriverWait(driver, TimeSpan.FromMinutes(1)) { PollingInterval = TimeSpan.FromMilliseconds(100) };
        driver.Navigate().GoToUrl(app.Urls.First());
        wait.Until(d => d.FindElement(By.Id("key-dialog")).GetAttribute("open") is not null);
        driver.FindElement(By.Id("key-input")).SendKeys("sekret");
        driver.FindElement(By.Id("key-save")).Click();
        wait.Until(d => d.FindElements(By.CssSelector("#batches tr[data-id='batch_stub']")).Count == 1);

        // Once: a reload finds the key it kept and asks nothing.
        driver.Navigate().Refresh();
        wait.Until(d => d.FindElements(By.CssSelector("#batches tr[data-id='batch_stub']")).Count == 1);
        Assert.Null(driver.FindElement(By.Id("key-dialog")).GetAttribute("open"));
        lock (seen)
        {
            Assert.Equal(string.Empty, seen[0]);
            Assert.All(seen.Skip(1), a => Assert.Equal("Bearer sekret", a));
        }
    }

    private static ChromeDriver StartBrowser()
    {
        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1100,1500", "--no-first-run");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(ChromeDriver)!, Path.GetFileName(ChromeDriver));
        service.SuppressInitialDiagnosticInformation = true;
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    private static string ResultsDirectory()
    {
        var root = RepoRoot.Find(AppContext.BaseDirectory) ?? throw new InvalidOperationException("No repository root.");
        var dir = Path.Combine(root, "TestResults");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
