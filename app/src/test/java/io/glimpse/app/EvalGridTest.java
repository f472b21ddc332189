package io.glimpse.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A tiny evaluation grid end to end: report structure in every format, and the full-token floor. */
class EvalGridTest {
    @Test
    void tinyGridWritesEveryReportAndFullTokensClearTheFloor(@TempDir Path out) throws Exception {
        int code = new CommandLine(new GlimpseCli()).execute("eval", "--grid", "--count", "24", "--methods", "RANDOM,DIVPRUNE",
                "--budgets", "16", "--quality-targets", "0.9", "--out-dir", out.toString(),
                "--bundle", StackFixture.HOME.resolve("models/glimpse-shapes").toString());
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
        assertEquals(12, md.lines().filter(l -> l.startsWith("|")).count(), "header, rule and 10 rows");
        for (String plot : List.of("accuracy_vs_tokens", "latency_vs_tokens")) {
            assertTrue(Files.size(out.resolve(plot + ".png")) > 5000, plot + ".png");
            assertTrue(Files.readString(out.resolve(plot + ".svg")).contains("<svg"), plot + ".svg");
        }
    }
}
