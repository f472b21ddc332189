package io.glimpse.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.glimpse.shapes.SceneSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A tiny evaluation grid end to end: report structure in every format, and the full-token floor. */
class EvalGridTest {
    @Test
    void noiseTwinsAreTheSameSceneWithTheNoiseToggled() {
        List<EvalItem> items = EvalCommand.generate(7L, 12, null, SceneSpec.DETAIL, true);
        assertEquals(24, items.size());
        int noisy = 0;
        for (int i = 0; i < items.size(); i += 2) {
            EvalItem a = items.get(i);
            EvalItem b = items.get(i + 1);
            assertEquals(a.question(), b.question());
            assertEquals(a.answer(), b.answer());
            assertEquals(a.bucket(), b.bucket());
            assertEquals(a.scene().objects(), b.scene().objects());
            assertEquals(i / 2, a.scene().twin());
            assertEquals(a.scene().twin(), b.scene().twin());
            assertNotEquals(a.scene().noisy(), b.scene().noisy());
            noisy += a.scene().noisy() ? 1 : 0;
            assertFalse(java.util.Arrays.equals(a.images().get(0), b.images().get(0)), "the twin's pixels differ");
        }
        assertTrue(noisy < 12, "the first of a pair is the generated scene, noisy in about 30% of them: " + noisy);
        assertEquals("1-5", new EvalItem.SceneFacts(5, false, -1).objectsBucket());
        assertEquals("6-12", new EvalItem.SceneFacts(12, false, -1).objectsBucket());
        assertEquals("13-20", new EvalItem.SceneFacts(13, false, -1).objectsBucket());
    }

    @Test
    void detailClipsComeFromTheDetailGenerator() {
        List<EvalItem> clips = EvalCommand.generate(11L, 40, "12", SceneSpec.DETAIL, false);
        assertEquals(40, clips.size());
        assertTrue(clips.stream().allMatch(c -> c.images().size() == 12), "sixteen frames are allowed on the detail canvas");
        assertTrue(clips.stream().anyMatch(c -> c.family().equals("brief")), "the few-frames family appears");
    }

    @Test
    void adaptiveReportsNoiseTwinsThroughTheChain(@TempDir Path out) throws Exception {
        Path report = out.resolve("twins.json");
        int code = new CommandLine(new GlimpseCli()).execute("eval", "--count", "10", "--noise-twins", "--mode", "ADAPTIVE",
                "--quality", "0.95", "--out", report.toString(),
                "--bundle", StackFixture.TEST_BUNDLE.toString());
        assertEquals(0, code);
        JsonNode r = new ObjectMapper().readTree(report.toFile());
        assertEquals(20, r.path("samples").asInt());
        JsonNode twins = r.path("noise_twins");
        assertEquals(10, twins.path("pairs").asInt(), r.toString());
        assertTrue(twins.path("max_token_ratio").asDouble() >= 1.0, twins.toString());
        double within = twins.path("within_2x").asDouble();
        assertTrue(within >= 0 && within <= 1 && (twins.path("max_token_ratio").asDouble() > 2 || within == 1.0), twins.toString());
        assertTrue(r.path("mean_visual_tokens_by_objects").size() >= 1, r.toString());
    }

    @Test
    void tinyGridWritesEveryReportAndFullTokensClearTheFloor(@TempDir Path out) throws Exception {
        int code = new CommandLine(new GlimpseCli()).execute("eval", "--grid", "--count", "24", "--methods", "RANDOM,DIVPRUNE",
                "--budgets", "16", "--quality-targets", "0.9", "--out-dir", out.toString(),
                "--bundle", StackFixture.TEST_BUNDLE.toString());
        assertEquals(0, code);
        JsonNode root = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        JsonNode cells = root.path("cells");
        // FULL, POOLED 4x4, FLEX_PREFIX 16, RANDOM 16, DIVPRUNE 16, ToMe, Zero-TPrune and attention drop to 16 inside
        // the staged encoder, ADAPTIVE head 0.9, ADAPTIVE proxy 0.9
        assertEquals(10, cells.size());
        for (JsonNode c : cells) {
            for (String field : List.of("policy", "series", "accuracy", "accuracy_ci95", "agreement_with_full",
                    "mean_visual_tokens", "mean_prefill_flops", "latency_ms_p50", "latency_ms_p95", "families")) {
                assertTrue(c.has(field), c.path("policy") + " has " + field);
            }
            for (String stage : List.of("tokenize", "prune", "prefill", "generate", "total")) {
                assertTrue(c.path("stage_latency_ms").path(stage).has("p95"), stage);
            }
            double a = c.path("accuracy").asDouble();
            assertTrue(c.path("accuracy_ci95").get(0).asDouble() <= a && a <= c.path("accuracy_ci95").get(1).asDouble());
            assertEquals(24, c.path("samples").asInt());
        }
        JsonNode full = cells.get(0);
        assertEquals("FULL", full.path("series").asText());
        assertEquals(144.0, full.path("mean_visual_tokens").asDouble(), 1e-9);
        assertEquals(1.0, full.path("agreement_with_full").asDouble(), 1e-9);
        assertTrue(full.path("accuracy").asDouble() >= 0.8, "full-token accuracy " + full.path("accuracy"));
        assertEquals(16.0, cells.get(3).path("mean_visual_tokens").asDouble(), 1e-9, "RANDOM 16");
        assertTrue(cells.get(3).path("mean_prefill_flops").asDouble() < full.path("mean_prefill_flops").asDouble() / 3);
        JsonNode tome = cells.get(5);
        assertEquals("TOME in encoder 16", tome.path("policy").asText());
        assertEquals(16.0, tome.path("mean_visual_tokens").asDouble(), 1e-9);
        assertTrue(tome.path("mean_encoder_flops").asDouble() < 0.6 * full.path("mean_encoder_flops").asDouble(),
                tome.path("mean_encoder_flops") + " vs " + full.path("mean_encoder_flops"));

        List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        assertEquals(11, csv.size(), "header + 10 rows");
        assertTrue(csv.get(0).startsWith("policy,series,samples,accuracy,ci_low,ci_high"));
        String md = Files.readString(out.resolve("results.md"));
        assertEquals(16, md.lines().filter(l -> l.startsWith("|")).count(),
                "header, rule and 10 rows; then ADAPTIVE's tokens by busyness: header, rule and 2 rows");
        List<String> headRows = md.lines().filter(l -> l.startsWith("| ADAPTIVE head 0.9 |")).toList();
        assertEquals(2, headRows.size(), "in the grid and in the busyness table");
        String head = headRows.get(1);
        double spent = cells.get(8).path("mean_visual_tokens").asDouble();
        JsonNode byObjects = cells.get(8).path("mean_visual_tokens_by_objects");
        assertTrue(byObjects.size() >= 1, byObjects.toString());
        byObjects.fields().forEachRemaining(e -> {
            assertTrue(e.getValue().asDouble() >= 1 && e.getValue().asDouble() <= 144, e.toString());
            assertTrue(head.contains(String.format(java.util.Locale.ROOT, "%.1f", e.getValue().asDouble())), head);
        });
        assertTrue(spent >= 1 && spent <= 144, "ADAPTIVE head's mean " + spent);
        for (String plot : List.of("accuracy_vs_tokens", "latency_vs_tokens")) {
            assertTrue(Files.size(out.resolve(plot + ".png")) > 5000, plot + ".png");
            assertTrue(Files.readString(out.resolve(plot + ".svg")).contains("<svg"), plot + ".svg");
        }
    }
}
