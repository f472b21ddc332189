package io.glimpse.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CliTest {
    private static String run(int expectedExit, String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true));
        try {
            assertEquals(expectedExit, GlimpseCli.run(args), String.join(" ", args));
        } finally {
            System.setOut(old);
        }
        return buf.toString();
    }

    @Test
    void bundleCheckPassesOnTheShippedBundleAndNamesProblemsElsewhere(@TempDir Path tmp) throws Exception {
        for (Path shipped : List.of(StackFixture.DEFAULT_BUNDLE, StackFixture.TEST_BUNDLE)) {
            String ok = run(0, "bundle", "check", shipped.toString());
            assertTrue(ok.contains("is valid"), ok);
        }
        Files.createDirectories(tmp.resolve("empty"));
        String bad = run(1, "bundle", "check", tmp.resolve("empty").toString());
        assertTrue(bad.contains("has no config.json"), bad);
    }

    /** The calibration table: one fidelity per bin and pooled count; pooling to the grid's own side changes nothing. */
    @Test
    void bundleCalibrateFitsATablePerComplexityBin() throws Exception {
        String out = run(0, "bundle", "calibrate", "--bundle", StackFixture.TEST_BUNDLE.toString(), "--tokens", "pooled",
                "--count", "12", "--bins", "2", "--threads", "1");
        com.fasterxml.jackson.databind.JsonNode table = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out);
        com.fasterxml.jackson.databind.JsonNode counts = table.path("counts");
        assertEquals(144, counts.get(counts.size() - 1).asInt(), table.toString());
        assertEquals(2, table.path("fidelity").size(), table.toString());
        for (com.fasterxml.jackson.databind.JsonNode row : table.path("fidelity")) {
            assertEquals(counts.size(), row.size());
            assertEquals(1.0, row.get(row.size() - 1).asDouble(), 1e-9, "12 x 12 pooling of a 12 x 12 grid is the grid");
            for (com.fasterxml.jackson.databind.JsonNode f : row) {
                assertTrue(f.asDouble() >= 0 && f.asDouble() <= 1, row.toString());
            }
        }
    }

    @Test
    void shapesGenerateWritesBothForms(@TempDir Path tmp) throws Exception {
        run(0, "shapes", "generate", "--count", "5", "--seed", "3", "--out", tmp.resolve("c").toString());
        assertEquals(5L * 96 * 96 * 3, Files.size(tmp.resolve("c/images.u8")));
        assertEquals(5, Files.readAllLines(tmp.resolve("c/samples.jsonl")).size());
        run(0, "shapes", "generate", "--count", "3", "--seed", "3", "--out", tmp.resolve("p").toString(), "--png");
        assertEquals(3, Files.readAllLines(tmp.resolve("p/questions.jsonl")).size());
        assertTrue(Files.exists(tmp.resolve("p/00002.png")));
    }

    /** The README's first command, as a fresh checkout runs it: the default model (v4) on examples/ and its clips. */
    @Test
    void demoPrintsTheTable() {
        String out = run(0, "demo");
        assertTrue(out.contains("question") && out.contains("expected") && out.contains("tokens"), out);
        assertTrue(out.contains("of 15 answered as expected"), out);
        assertEquals(10 + 5 + 3, out.lines().filter(l -> !l.isBlank()).count(), out);
        // full resolution: 576 patch tokens per image; a clip's frames enter pooled to 12 x 12 (144 each)
        assertTrue(out.lines().anyMatch(l -> l.startsWith("1 ") && l.contains(" 576->576 ")), out);
        assertTrue(out.lines().anyMatch(l -> l.contains("clip of 5 frames") && l.contains(" 720->720 ")), out);
    }

    /** --encoder-reduction's two forms, the grid's geometric schedule, and a bad schedule refused as a usage error. */
    @Test
    void encoderReductionFlags() {
        var r = PolicyOptions.encoderReduction("tome:100, 64,36");
        assertEquals(io.glimpse.proto.v1.EncoderReduction.Method.TOME, r.getMethod());
        assertEquals(java.util.List.of(100, 64, 36), r.getKeepPerStageList());
        assertEquals(30, PolicyOptions.encoderReduction("ZERO_TPRUNE:r=30").getR());
        assertArrayEquals(new int[]{91, 57, 36}, PolicyOptions.geometricSchedule(144, 4, 36));
        assertArrayEquals(new int[]{421, 307, 225, 164, 120, 88, 64}, PolicyOptions.geometricSchedule(576, 8, 64));
        var bad = assertThrows(picocli.CommandLine.ParameterException.class, () -> PolicyOptions.encoderReduction("SHRINK:64"));
        assertTrue(bad.getMessage().contains("TOME, ZERO_TPRUNE, ATTENTION_DROP"), bad.getMessage());
        assertEquals(2, GlimpseCli.run("ask", "-i", "examples/01-closest.png", "-q", "what ?", "--encoder-reduction", "TOME:a,b"),
                "a usage error, before any work");
    }

    /** The headline table: every row at every concurrency, FULL's own ratios 1, every request exactly the asked tokens. */
    @Test
    void benchHeadlinePrintsEveryRowWithItsRatiosToFull() {
        String out = run(0, "bench", "headline", "--bundle", StackFixture.TEST_BUNDLE.toString(),
                "--concurrency", "1,2", "--requests", "3", "--warmup", "0", "--keep", "16", "--methods", "DIVPRUNE");
        java.util.List<String> rows = out.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| visual")).toList();
        // FULL, POOLED 36, POOLED 16, DIVPRUNE 16 and the staged encoder's three reductions to 16, at two concurrencies
        assertEquals(14, rows.size(), out);
        for (String row : rows) {
            assertEquals(11, row.split("\\|", -1).length - 1, row);   // ten columns
        }
        assertTrue(rows.get(0).startsWith("| FULL (144) | 1 |") && rows.get(0).endsWith("| 1.00× | 1.00× | 1.00× |"), rows.get(0));
        assertTrue(rows.get(7).startsWith("| DIVPRUNE 16 | 2 |"), rows.get(7));
        assertTrue(rows.get(8).startsWith("| TOME in encoder 16 | 1 |"), rows.get(8));
        assertTrue(rows.get(13).startsWith("| ATTENTION_DROP in encoder 16 | 2 |"), rows.get(13));
        assertTrue(rows.stream().anyMatch(r -> r.startsWith("| POOLED 36 |")), out);
        assertTrue(!out.contains("requests not 4 tokens"), out);
        assertEquals(2, GlimpseCli.run("bench", "headline", "--keep", "50"), "a pooled row needs a square");
    }

    /** Every serve flag means the same in 'serve all' as in 'serve SERVICE': one typed config per service from the flags. */
    @Test
    void serveAllUsesEveryServeFlag() {
        ServeCommand serve = new ServeCommand();
        new picocli.CommandLine(serve).parseArgs("all", "--max-pixels", "1234567", "--max-request-pixels", "2345678",
                "--encoder-max-batch", "4", "--encoder-max-wait-micros", "777", "--max-message-bytes", "5000000",
                "--drain-seconds", "7", "--max-images", "3", "--tokenizer-max-queued", "5", "--pruner-max-concurrent", "3",
                "--max-concurrent", "1", "--runner-max-queued", "9", "--gateway-max-in-flight", "11", "--bind", "0.0.0.0",
                "--http-port", "8123", "--http-max-body-bytes", "4096", "--http-image-hosts", "img.example.com,cdn:8443");
        EmbeddedStack.Services c = serve.services(null, null);
        assertEquals(1234567L, c.tokenizer().limits().maxPixels());
        assertEquals(2345678L, c.tokenizer().limits().maxRequestPixels());
        assertEquals(5000000, c.tokenizer().limits().maxBytes());
        assertEquals(4, c.tokenizer().batching().maxBatch());
        assertEquals(777L, c.tokenizer().batching().maxWaitMicros());
        assertEquals(5, c.tokenizer().maxQueued());
        assertEquals(3, c.tokenizer().maxImages());
        assertEquals(3, c.pruner().maxImages());
        assertEquals(3, c.pruner().maxConcurrent());
        assertEquals(3, c.runner().limits().maxImages());
        assertEquals(1, c.runner().limits().maxConcurrent());
        assertEquals(9, c.runner().limits().maxQueued());
        assertEquals(1, c.runner().limits().decodeBatch(), "the batch never exceeds the generations at once");
        assertEquals(11, c.gateway().maxInFlight());
        assertEquals(3, c.gateway().maxImages());
        for (var server : java.util.List.of(c.tokenizer().server(), c.pruner().server(), c.runner().server(), c.gatewayServer())) {
            assertEquals(5000000, server.maxInboundBytes());
            assertEquals(java.time.Duration.ofSeconds(7), server.drainTimeout());
        }
        assertEquals("0.0.0.0", c.gatewayServer().bind());
        assertEquals(8123, c.http().port());
        assertEquals(4096, c.http().maxBodyBytes());
        assertEquals(java.util.List.of("img.example.com", "cdn:8443"), c.http().imageHosts());
        // defaults come from the services' own constants
        ServeCommand plain = new ServeCommand();
        new picocli.CommandLine(plain).parseArgs("all");
        EmbeddedStack.Services d = plain.services(null, null);
        assertEquals(io.glimpse.tokenizer.image.ImageLimits.DEFAULT_MAX_PIXELS, d.tokenizer().limits().maxPixels());
        assertEquals("127.0.0.1", d.gatewayServer().bind());
        assertEquals(io.glimpse.gateway.http.HttpApiConfig.DEFAULT_PORT, d.http().port());
        assertEquals(java.util.List.of(), d.http().imageHosts(), "no remote image host unless named");
        ServeCommand off = new ServeCommand();
        new picocli.CommandLine(off).parseArgs("all", "--http-port", "-1");
        assertEquals(null, off.services(null, null).http());
    }

    /** In 'serve all' the backends listen on loopback whatever the gateway binds. */
    @Test
    void embeddedBackendsListenOnLoopback() {
        var c = EmbeddedStack.Services.defaults(StackFixture.bundle(), io.glimpse.model.onnx.OrtSessionFactory.cpu());
        try (EmbeddedStack s = EmbeddedStack.start(c.withGatewayServer(c.gatewayServer().withBind("0.0.0.0").withPlaintextChosen(true)),
                EmbeddedStack.Transport.LOOPBACK, 0,
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry())) {
            for (var b : s.backends()) {
                assertTrue(b.describe().startsWith("127.0.0.1:"), b.describe());
            }
            assertTrue(s.blocking().ask(StackFixture.ask(StackFixture.examples().examples().get(0)).build())
                    .getAnswer().length() > 0);
        }
    }

    /** Plaintext beyond loopback is an explicit choice: without TLS or --plaintext, serve refuses to start. */
    @Test
    void plaintextBeyondLoopbackNeedsAFlag() {
        ServeCommand open = new ServeCommand();
        new picocli.CommandLine(open).parseArgs("gateway", "--bind", "0.0.0.0");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, open::checkExposure);
        assertTrue(e.getMessage().contains("without TLS"), e.getMessage());
        // a host name that only looks like loopback is judged by what it resolves to (or not at all)
        ServeCommand lookalike = new ServeCommand();
        new picocli.CommandLine(lookalike).parseArgs("gateway", "--bind", "127.example.com");
        assertThrows(IllegalArgumentException.class, lookalike::checkExposure);
        // the metrics port follows the same rule
        ServeCommand metrics = new ServeCommand();
        new picocli.CommandLine(metrics).parseArgs("gateway", "--metrics-port", "9090", "--metrics-bind", "0.0.0.0");
        assertThrows(IllegalArgumentException.class, metrics::checkExposure);
        ServeCommand metricsLocal = new ServeCommand();
        new picocli.CommandLine(metricsLocal).parseArgs("gateway", "--metrics-port", "9090");
        metricsLocal.checkExposure();
        // the rule holds wherever a server starts, not only in 'serve'
        IllegalArgumentException direct = assertThrows(IllegalArgumentException.class, () -> io.glimpse.common.server.ServiceHost.start(
                "exposed", io.glimpse.common.server.ServerConfig.tcp(0).withBind("0.0.0.0"), java.util.List.of(), java.util.List.of()));
        assertTrue(direct.getMessage().contains("without TLS"), direct.getMessage());
        ServeCommand named = new ServeCommand();
        new picocli.CommandLine(named).parseArgs("gateway", "--bind", "localhost");
        named.checkExposure();
        ServeCommand chosen = new ServeCommand();
        new picocli.CommandLine(chosen).parseArgs("gateway", "--bind", "0.0.0.0", "--plaintext");
        chosen.checkExposure();
        ServeCommand local = new ServeCommand();
        new picocli.CommandLine(local).parseArgs("gateway");
        local.checkExposure();
    }

    @Test
    void keyNewPrintsAKeyAndTheLineWithItsHash() {
        String out = run(0, "key", "new", "--id", "alice", "--limits", "rate=5");
        String key = out.lines().filter(l -> l.startsWith("key:")).findFirst().orElseThrow().substring(5).strip();
        String line = out.lines().filter(l -> l.startsWith("line:")).findFirst().orElseThrow().substring(5).strip();
        assertEquals("alice sha256:" + io.glimpse.gateway.auth.ApiKeys.hash(key) + " rate=5", line);
        assertTrue(!line.contains(key), "the key file line carries only the hash");
    }

    /** A user's mistake gets one clear line, no stack trace. */
    @Test
    void mistakesGetOneLine() throws Exception {
        java.io.PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true));
        try (java.net.ServerSocket busy = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertEquals(1, GlimpseCli.run("serve", "all", "--port", "0", "--http-port", String.valueOf(busy.getLocalPort())));
            assertEquals(1, GlimpseCli.run("ask", "-i", "/no/such/image.png", "-q", "what ?"));
            assertEquals(1, GlimpseCli.run("serve", "gateway", "--bind", "0.0.0.0", "--port", "0"));
            assertEquals(1, GlimpseCli.run("ask", "--target", "127.0.0.1:1", "-i",
                    StackFixture.HOME.resolve("examples/v3/07-color.png").toString(), "-q", "what color is the square ?"));
        } finally {
            System.setErr(old);
        }
        String text = err.toString();
        assertTrue(text.contains("glimpse: no such file: /no/such/image.png"), text);
        assertTrue(text.contains("glimpse: cannot start the gateway's HTTP API on 127.0.0.1:") && text.contains("in use"), text);
        assertTrue(text.contains("glimpse: UNAVAILABLE") && text.contains("Connection refused"), text);
        assertTrue(!text.contains("\tat "), "no stack trace: " + text);
        assertTrue(text.contains("glimpse: --bind 0.0.0.0 listens beyond loopback without TLS"), text);
        assertTrue(!text.contains("Usage:") && !text.contains("--max-message-bytes"), "a start-up mistake is one line, no usage: " + text);
    }
}
