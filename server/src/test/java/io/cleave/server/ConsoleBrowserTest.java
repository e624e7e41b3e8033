package io.cleave.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.config.ServerConfig;
import io.cleave.common.http.Http;
import io.cleave.invoker.InvokerSettings;
import io.cleave.invoker.Policy;
import java.io.File;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web console in a real browser (Debian's headless Chromium, driven by Selenium) against the
 * real server running a Python function: a wrong key is refused, a key signs in, the deployed
 * function is listed, invoked from the page, its call's log line read, and the live view counts a
 * burst of calls by the start modes the calls reported. Screenshots of each page go to
 * target/console-screenshots/.
 */
@Timeout(180)
class ConsoleBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path SHOTS = Path.of("target", "console-screenshots");
  private static final int BURST = 12;

  @TempDir static Path data;
  static ServerComposition server;
  static PlatformClient client;
  static String fnId;
  static WebDriver browser;

  @BeforeAll
  static void start() throws Exception {
    assertTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "the console's browser test needs Debian's chromium and chromium-driver (./cleave test installs them)");
    ServerConfig config = ServerConfig.defaults(data.resolve("node")).withPort(0)
        .withCluster("console-" + ProcessHandle.current().pid(), 5801, List.of()).withAdminKey(Http.TEST_ADMIN_KEY);
    InvokerSettings settings = ExecutionEndToEndTest.settings(config.dataDir(), Policy.FORK, 2, 0);
    server = ServerComposition.start(config, NodeExecution.factory(settings, List.of("-XX:+UseSerialGC", "-Xmx256m")), "test");
    client = new PlatformClient(server.url());
    String appId = client.createApp("shop");
    client.createApp("elsewhere");
    fnId = client.deploy(appId, "hello", Map.of("memory", 128), Map.of("func.py", ExecutionEndToEndTest.HELLO));
    Files.createDirectories(SHOTS);
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    // Root in a container: no sandbox; nothing may reach beyond localhost.
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
        "--user-data-dir=" + Files.createTempDirectory(data, "chromium"), "--window-size=1280,900");
    options.setCapability("goog:loggingPrefs", Map.of("browser", "ALL"));
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort().withLogFile(new File("target/chromedriver.log")).build();
    browser = new ChromeDriver(service, options);
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aPersonSignsInInvokesReadsLogsAndWatchesABurst() throws Exception {
    try {
      walkThrough();
    } catch (Exception | AssertionError e) {
      // What the page showed when it went wrong, for the person reading the failure.
      shot("failed");
      Files.writeString(SHOTS.resolve("failed.html"), browser.getPageSource());
      throw e;
    }
  }

  private void walkThrough() throws Exception {
    browser.get(server.url() + "/console");
    WebElement key = waitFor(By.id("key"));
    System.out.println("console: page loaded in " + js("return Math.round(performance.getEntriesByType('navigation')[0]"
        + ".loadEventEnd)") + " ms (navigation start to load event, first visit)");
    key.sendKeys("clv_01ARZ3NDEKTSV4RRFFQ69G5FAV_wrong");
    browser.findElement(By.cssSelector("#login button[type=submit]")).click();
    waitUntil(d -> d.findElement(By.cssSelector("#login [role=alert]")).getText().contains("invalid or revoked API key"),
        "the API's own refusal on the login form");
    shot("01-login-refused");
    key.clear();
    key.sendKeys(Http.TEST_ADMIN_KEY + Keys.ENTER);

    WebElement row = waitFor(By.cssSelector("tr[data-fn=hello]"));
    assertTrue(row.getText().contains("/invoke/" + fnId), row.getText());
    shot("02-functions");
    assertEquals(Http.TEST_ADMIN_KEY, js("return sessionStorage.getItem('cleave.key')"));
    assertEquals(0L, js("return localStorage.length"));
    assertEquals("", js("return document.cookie"));

    row.findElement(By.linkText("hello")).click();
    waitFor(By.id("invoke-body")).sendKeys("browser");
    browser.findElement(By.id("invoke-headers")).sendKeys("Content-Type: text/plain");
    browser.findElement(By.id("invoke")).click();
    waitUntil(d -> d.findElement(By.id("invoke-answer")).getText().contains("hello browser"), "the function's answer");
    assertEquals("200", browser.findElement(By.id("invoke-status")).getText());
    assertTrue(browser.findElement(By.id("invoke-result")).getText().contains("cold"),
        browser.findElement(By.id("invoke-result")).getText());
    shot("03-invoke");

    browser.findElement(By.id("invoke-call")).click();
    waitUntil(d -> d.findElement(By.id("call-logs")).getText().contains("log line for browser"), "the call's log line");
    shot("04-call");

    browser.get(server.url() + "/console/#/calls?fn=" + fnId);
    waitUntil(d -> d.findElements(By.cssSelector("#main tbody tr")).size() == 1, "the call in the list");
    shot("05-calls");

    browser.get(server.url() + "/console/#/live/" + fnId);
    waitUntil(d -> d.findElement(By.cssSelector("#main p[aria-live]")).getText().startsWith("Live from node"),
        "the live feed");
    Map<String, Integer> modes = new TreeMap<>(Map.of("cold", 1));
    burst().forEach(mode -> modes.merge(mode, 1, Integer::sum));
    waitUntil(d -> modes.equals(liveTotals()), "the live view counting " + modes + " (shows " + liveTotals() + ")");
    waitUntil(d -> d.findElement(By.id("live-latency")).getText().contains("p99"), "latency percentiles");
    waitUntil(d -> d.findElement(By.id("live-instances")).getText().contains("Idle"), "instances by state");
    shot("06-live");

    browser.get(server.url() + "/console/#/cluster");
    waitFor(By.cssSelector("#cluster-members tr[data-member]"));
    WebElement localForks = waitFor(By.cssSelector("#cluster-forks tr[data-from=e2e-node][data-to=e2e-node]"));
    // Every call that reported a fork had a child of its own; children may outnumber them (a queued
    // call can take an instance freed first, leaving its child to a later call).
    String[] cells = localForks.getText().split(" ");
    int children = Integer.parseInt(cells[cells.length - 1]);
    assertTrue(children >= modes.getOrDefault("fork", 0) && children > 0,
        "local forks on the cluster page: " + localForks.getText() + ", calls by start mode " + modes);
    shot("07-cluster");

    String runId = flowRun();
    browser.get(server.url() + "/console/#/runs");
    waitFor(By.linkText(runId)).click();
    waitUntil(d -> d.findElements(By.cssSelector("svg g[data-step][data-status=succeeded]")).size() == 4,
        "the run's four steps drawn as succeeded");
    shot("08-workflow-run");

    browser.manage().window().setSize(new org.openqa.selenium.Dimension(390, 844));
    browser.get(server.url() + "/console/#/fn/" + fnId);
    waitFor(By.id("invoke"));
    assertEquals(0L, js("return document.documentElement.scrollWidth - document.documentElement.clientWidth"),
        "the function page fits a phone's width");
    shot("09-phone");
    browser.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 900));

    browser.findElement(By.id("signout")).click();
    waitFor(By.id("key"));
    assertEquals(null, js("return sessionStorage.getItem('cleave.key')"));

    // A deploy key of one app sees that app only, its calls and its runs.
    String appId = client.json("GET", "/v2/fns/" + fnId, null).path("app_id").asText();
    String deployKey = client.json("POST", "/cleave/v1/keys", Map.of("role", "deploy", "app_id", appId)).path("key").asText();
    browser.findElement(By.id("key")).sendKeys(deployKey + Keys.ENTER);
    waitFor(By.cssSelector("tr[data-fn=hello]"));
    assertTrue(browser.findElements(By.xpath("//h2[contains(., 'elsewhere')]")).isEmpty(), "another app shown to a deploy key");
    waitUntil(d -> !d.findElement(By.cssSelector("#nav a[href='#/cluster']")).isDisplayed(),
        "no cluster link for a key that may not read the cluster");
    browser.get(server.url() + "/console/#/calls");
    waitUntil(d -> d.findElements(By.cssSelector("#main tbody tr")).size() > BURST, "the app's calls for its deploy key");
    browser.get(server.url() + "/console/#/runs");
    waitFor(By.linkText(runId));
    browser.findElement(By.id("signout")).click();
    waitFor(By.id("key"));

    // No script error and no content-security-policy violation on any page; the one refused
    // request is the wrong key's.
    List<String> errors = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
        .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
        .map(LogEntry::getMessage).filter(m -> !m.contains("/v2/apps?per_page=1 - Failed to load resource")).toList();
    assertEquals(List.of(), errors);
  }

  /** Runs a diamond-shaped flow of the function (a, then b and c, then d) and returns the run's id. */
  private static String flowRun() {
    String appId = client.json("GET", "/v2/fns/" + fnId, null).path("app_id").asText();
    var flow = client.json("POST", "/cleave/v1/flows", Map.of("app_id", appId, "name", "diamond", "steps", List.of(
        Map.of("name", "a", "fn", "hello"), Map.of("name", "b", "fn", "hello", "after", List.of("a")),
        Map.of("name", "c", "fn", "hello", "after", List.of("a")),
        Map.of("name", "d", "fn", "hello", "after", List.of("b", "c")))));
    HttpResponse<String> run = client.send("POST", "/cleave/v1/flows/" + flow.path("id").asText() + "/runs", "\"x\"",
        Map.of("Content-Type", "application/json"));
    assertEquals(200, run.statusCode(), run.body());
    return run.headers().firstValue("Cleave-Run-Id").orElseThrow();
  }

  /** Calls the function BURST times at once; the start modes its answers reported. */
  private static List<String> burst() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(BURST);
    try {
      List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
      for (int i = 0; i < BURST; i++) {
        calls.add(CompletableFuture.supplyAsync(() -> client.invoke(fnId, "burst"), pool));
      }
      List<String> modes = new ArrayList<>();
      for (var c : calls) {
        HttpResponse<String> r = c.get();
        assertEquals(200, r.statusCode(), r.body());
        modes.add(ExecutionEndToEndTest.mode(r));
      }
      return modes;
    } finally {
      pool.shutdownNow();
    }
  }

  /** The live view's calls by start mode, as the page shows them. */
  private static Map<String, Integer> liveTotals() {
    Map<String, Integer> shown = new TreeMap<>();
    for (WebElement row : browser.findElements(By.cssSelector("#live-totals tr[data-outcome]"))) {
      shown.put(row.getAttribute("data-outcome"), Integer.parseInt(row.findElement(By.className("count")).getText()));
    }
    return shown;
  }

  private static Object js(String script) {
    return ((JavascriptExecutor) browser).executeScript(script);
  }

  private static WebElement waitFor(By what) {
    // The console re-renders a view as data comes in: an element found may be replaced before it
    // is looked at, and is looked for again then.
    return new WebDriverWait(browser, Duration.ofSeconds(20)).ignoring(StaleElementReferenceException.class).until(d -> {
      List<WebElement> found = d.findElements(what);
      return found.isEmpty() || !found.get(0).isDisplayed() ? null : found.get(0);
    });
  }

  private static void waitUntil(Function<WebDriver, Boolean> condition, String what) {
    new WebDriverWait(browser, Duration.ofSeconds(20)).withMessage(what).ignoring(RuntimeException.class).until(condition);
  }

  private static void shot(String name) throws Exception {
    byte[] png = ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
    Files.write(SHOTS.resolve(name + ".png"), png);
  }
}
