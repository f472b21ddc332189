package io.glimpse.app;

import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.gateway.http.HttpApiConfig;
import io.glimpse.proto.v1.AskResponse;
import io.glimpse.proto.v1.Pruning;
import io.glimpse.proto.v1.TokenPolicy;
import io.glimpse.proto.v1.Tokenization;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The token explorer page in a real headless Chromium (Debian's chromium and chromium-driver,
 * which .ci/run installs), against the real chain: pick an example, ask both policies, check the
 * answers against the gRPC API and the overlay against the selection, and keep a screenshot
 * ({@code app/target/explorer.png}).
 */
class ExplorerPageTest {
    private static final Path CHROMIUM = Path.of(System.getProperty("glimpse.chromium", "/usr/bin/chromium"));
    private static final Path CHROMEDRIVER = Path.of(System.getProperty("glimpse.chromedriver", "/usr/bin/chromedriver"));
    private static EmbeddedStack stack;
    private static WebDriver browser;

    @BeforeAll
    static void start() {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "the explorer test needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver;"
                        + " .ci/run installs them)");
        stack = EmbeddedStack.start(EmbeddedStack.Services.defaults(StackFixture.bundle(), OrtSessionFactory.cpu())
                .withHttp(HttpApiConfig.defaults(0)), EmbeddedStack.Transport.IN_PROCESS, -1, new SimpleMeterRegistry());
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile());
        // headless as root in a container; no background traffic to hosts this machine cannot reach
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1400,1180");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void askingBothPoliciesShowsTheAnswersAndTheKeptTokens() throws Exception {
        browser.get(stack.http().url("127.0.0.1") + "/");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        wait.until(d -> "true".equals(d.findElement(By.tagName("body")).getAttribute("data-ready")));
        assertTrue(browser.findElement(By.id("model-info")).getText().startsWith("glimpse-shapes"),
                browser.findElement(By.id("model-info")).getText());

        ExampleSet.Example example = StackFixture.defaultExamples().examples().get(1);
        new Select(browser.findElement(By.id("example"))).selectByValue(example.image().getFileName().toString());
        wait.until(d -> example.question().equals(d.findElement(By.id("question")).getAttribute("value")));
        List<WebElement> panels = browser.findElements(By.cssSelector(".policy"));
        WebElement b = panels.get(1);
        setRange(b.findElement(By.cssSelector(".budget")), 24);
        browser.findElement(By.id("ask")).click();
        wait.until(d -> panels.stream().allMatch(p -> "answered".equals(p.getAttribute("data-state"))));

        AskResponse full = stack.blocking().ask(StackFixture.ask(example).build());
        AskResponse pruned = stack.blocking().ask(StackFixture.ask(example).setPolicy(TokenPolicy.newBuilder()
                .setTokenization(Tokenization.newBuilder().setMode(Tokenization.Mode.FULL))
                .setPruning(Pruning.newBuilder().setMethod(Pruning.Method.QUOTA).setKeepTokens(24))).build());
        assertEquals(full.getAnswer(), panels.get(0).findElement(By.cssSelector(".answer")).getText());
        assertEquals(pruned.getAnswer(), b.findElement(By.cssSelector(".answer")).getText());
        assertTrue(b.findElement(By.cssSelector(".tokens-used")).getText()
                .endsWith("→ " + pruned.getUsage().getVisualTokensUsed() + " seen by the LM"));

        WebElement canvas = b.findElement(By.cssSelector("canvas"));
        assertEquals(String.valueOf(pruned.getSelections(0).getKeptOriginCount()), canvas.getAttribute("data-kept"));
        assertEquals("144", canvas.getAttribute("data-scored"), "one heat cell per tokenized token");
        long outlined = (Long) ((JavascriptExecutor) browser).executeScript(
                "const c = arguments[0]; const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                        + "let n = 0; for (let i = 0; i < d.length; i += 4) {"
                        + " if (d[i] < 40 && d[i + 1] > 200 && d[i + 2] > 230) n++; } return n;", canvas);
        assertTrue(outlined > 24 * 20, "kept cells are outlined on the canvas: " + outlined + " outline pixels");

        byte[] png = ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
        Path shot = Path.of("target", "explorer.png");
        Files.createDirectories(shot.getParent());
        Files.write(shot, png);
        assertTrue(png.length > 10_000, "a screenshot of the page");
    }

    @Test
    void anUploadedImageIsAskedAbout() {
        browser.get(stack.http().url("127.0.0.1") + "/");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        wait.until(d -> "true".equals(d.findElement(By.tagName("body")).getAttribute("data-ready")));
        ExampleSet.Example example = StackFixture.examples().examples().get(6);
        browser.findElement(By.id("upload")).sendKeys(example.image().toAbsolutePath().toString());
        wait.until(d -> String.valueOf(d.findElement(By.id("preview")).getAttribute("src")).length() > 100
                && !String.valueOf(d.findElement(By.id("preview")).getAttribute("src")).contains("examples/"));
        WebElement question = browser.findElement(By.id("question"));
        question.clear();
        question.sendKeys(example.question());
        WebElement a = browser.findElements(By.cssSelector(".policy")).get(0);
        new Select(a.findElement(By.cssSelector(".mode"))).selectByValue("POOLED");
        setRange(a.findElement(By.cssSelector(".tokens")), 3);   // the fourth trained side: 4 x 4
        assertEquals("16", a.findElement(By.cssSelector(".tokens-out")).getText());
        browser.findElement(By.id("ask")).click();
        wait.until(d -> "answered".equals(a.getAttribute("data-state")) || "error".equals(a.getAttribute("data-state")));
        assertEquals("answered", a.getAttribute("data-state"), a.findElement(By.cssSelector(".error")).getText());
        AskResponse pooled = stack.blocking().ask(StackFixture.ask(example).setPolicy(TokenPolicy.newBuilder()
                .setTokenization(Tokenization.newBuilder().setMode(Tokenization.Mode.POOLED).setTokens(16))).build());
        assertEquals(pooled.getAnswer(), a.findElement(By.cssSelector(".answer")).getText());
        assertEquals("16", a.findElement(By.cssSelector("canvas")).getAttribute("data-kept"), "a 4 x 4 pooled grid");
    }

    /** Reducing inside the encoder from the page: what the LM sees, the encoder's FLOPs, and the gRPC API's answer. */
    @Test
    void aPolicyReducesInsideTheEncoder() {
        browser.get(stack.http().url("127.0.0.1") + "/");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        wait.until(d -> "true".equals(d.findElement(By.tagName("body")).getAttribute("data-ready")));
        ExampleSet.Example example = StackFixture.defaultExamples().examples().get(6);
        new Select(browser.findElement(By.id("example"))).selectByValue(example.image().getFileName().toString());
        wait.until(d -> example.question().equals(d.findElement(By.id("question")).getAttribute("value")));
        WebElement a = browser.findElements(By.cssSelector(".policy")).get(0);
        assertTrue(!a.findElement(By.cssSelector(".encoder-row")).isDisplayed(), "no encoder budget until a method is chosen");
        assertTrue(!a.findElement(By.cssSelector(".tiles-row")).isDisplayed(), "the default model does not split images");
        new Select(a.findElement(By.cssSelector(".encoder"))).selectByValue("TOME");
        setRange(a.findElement(By.cssSelector(".encoder-keep")), 36);
        assertEquals("36", a.findElement(By.cssSelector(".encoder-keep-out")).getText());
        browser.findElement(By.id("ask")).click();
        wait.until(d -> "answered".equals(a.getAttribute("data-state")) || "error".equals(a.getAttribute("data-state")));
        assertEquals("answered", a.getAttribute("data-state"), a.findElement(By.cssSelector(".error")).getText());
        assertEquals("144 → 36 tokenized → 36 seen by the LM", a.findElement(By.cssSelector(".tokens-used")).getText());
        String flops = a.findElement(By.cssSelector(".encoder-flops")).getText();
        assertTrue(flops.contains("% saved") && !flops.contains("(0% saved)"), flops);
        // the page's schedule is the grid's: 144 -> 91 -> 57 -> 36 over the default model's four stages
        AskResponse grpc = stack.blocking().ask(StackFixture.ask(example).setPolicy(TokenPolicy.newBuilder()
                .setTokenization(Tokenization.newBuilder().setEncoderReduction(io.glimpse.proto.v1.EncoderReduction.newBuilder()
                        .setMethod(io.glimpse.proto.v1.EncoderReduction.Method.TOME)
                        .addAllKeepPerStage(List.of(91, 57, 36))))).build());
        assertEquals(grpc.getAnswer(), a.findElement(By.cssSelector(".answer")).getText());
        assertEquals("36", a.findElement(By.cssSelector("canvas")).getAttribute("data-kept"));
    }

    /** A file that is not an image is named as such, and nothing is asked about the previous image. */
    @Test
    void aFileThatIsNotAnImageIsRefusedOnThePage(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        browser.get(stack.http().url("127.0.0.1") + "/");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        wait.until(d -> "true".equals(d.findElement(By.tagName("body")).getAttribute("data-ready")));
        assertTrue(browser.findElement(By.id("status")).getText().contains("Ask both policies"), "says what to do first");
        java.nio.file.Path notes = Files.writeString(dir.resolve("notes.png"), "these are notes, not a picture");
        browser.findElement(By.id("upload")).sendKeys(notes.toAbsolutePath().toString());
        wait.until(d -> "error".equals(d.findElement(By.id("status")).getAttribute("data-state")));
        assertTrue(browser.findElement(By.id("status")).getText().contains("not an image"), browser.findElement(By.id("status")).getText());
        browser.findElement(By.id("ask")).click();
        Thread.sleep(500);
        for (WebElement panel : browser.findElements(By.cssSelector(".policy"))) {
            assertTrue(!"answered".equals(panel.getAttribute("data-state")), "nothing was asked");
            assertEquals("", panel.findElement(By.cssSelector(".answer")).getText());
        }
        assertTrue(browser.findElement(By.id("status")).getText().contains("no image"), browser.findElement(By.id("status")).getText());
    }

    /** A tiled model (SmolVLM layout): each tile's tokens drawn on its part of the image. */
    @Test
    void aTiledModelsTokensAreDrawnTileByTile() {
        try (EmbeddedStack smol = EmbeddedStack.start(EmbeddedStack.Services.defaults(
                        io.glimpse.model.bundle.ModelBundle.open(StackFixture.HOME.resolve("models/smolvlm-tiny")),
                        OrtSessionFactory.cpu()).withHttp(HttpApiConfig.defaults(0)),
                EmbeddedStack.Transport.IN_PROCESS, -1, new SimpleMeterRegistry())) {
            browser.get(smol.http().url("127.0.0.1") + "/");
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
            wait.until(d -> "true".equals(d.findElement(By.tagName("body")).getAttribute("data-ready")));
            assertTrue(browser.findElement(By.id("model-info")).getText().startsWith("smolvlm-tiny"));
            List<WebElement> panels = browser.findElements(By.cssSelector(".policy"));
            WebElement flex = panels.get(0).findElement(By.cssSelector(".mode option[value=FLEX_PREFIX]"));
            assertTrue(!flex.isEnabled() && flex.getText().contains("needs a resampler"), flex.getText());
            browser.findElement(By.id("ask")).click();
            wait.until(d -> panels.stream().allMatch(p -> p.getAttribute("data-state") != null));
            assertEquals("answered", panels.get(1).getAttribute("data-state"), panels.get(1).getText());
            String used = panels.get(1).findElement(By.cssSelector(".tokens-used")).getText();
            String kept = panels.get(1).findElement(By.cssSelector("canvas")).getAttribute("data-kept");
            assertTrue(used.endsWith("→ " + kept + " seen by the LM"), used + " / " + kept);
            long outlined = (Long) ((JavascriptExecutor) browser).executeScript(
                    "const c = arguments[0]; const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                            + "let n = 0; for (let i = 0; i < d.length; i += 4) {"
                            + " if (d[i] < 40 && d[i + 1] > 200 && d[i + 2] > 230) n++; } return n;",
                    panels.get(1).findElement(By.cssSelector("canvas")));
            assertTrue(outlined > 100, "kept tile cells are outlined: " + outlined);

            // tiles never encoded: the global image and the one tile the question needs most
            assertTrue(!panels.get(0).findElement(By.cssSelector(".encoder-row")).isDisplayed());
            new Select(panels.get(0).findElement(By.cssSelector(".max-tiles"))).selectByValue("1");
            browser.findElement(By.id("ask")).click();
            wait.until(d -> panels.get(0).findElement(By.cssSelector(".tokens-used")).getText().contains("tokenized"));
            assertEquals("answered", panels.get(0).getAttribute("data-state"), panels.get(0).getText());
            String one = panels.get(0).findElement(By.cssSelector(".tokens-used")).getText();
            assertTrue(one.contains("→ 32 tokenized → 32 seen by the LM"), one);
        }
    }

    private static void setRange(WebElement range, int value) {
        ((JavascriptExecutor) browser).executeScript("arguments[0].value = arguments[1];"
                + "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", range, value);
    }
}
