package io.glimpse.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.glimpse.proto.v1.AskResponse;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Accumulates accuracy, tokens, FLOPs and latency. */
final class EvalReport {
    private final Map<String, int[]> families = new TreeMap<>();
    private final List<Double> latencyMs = new ArrayList<>();
    private final List<Double> tokenizeMs = new ArrayList<>();
    private final List<Double> pruneMs = new ArrayList<>();
    private final List<Double> generateMs = new ArrayList<>();
    private final List<Double> prefillMs = new ArrayList<>();
    private int hits;
    private int n;
    private long tokensUsed;
    private double flopsUsed;
    private double flopsFull;
    private double encoderFlops;
    private int agreed;
    private int compared;
    private final Map<String, long[]> tokensByObjects = new TreeMap<>();   // bucket -> {tokens, samples}
    private final Map<Integer, long[]> twinTokens = new TreeMap<>();       // twin -> {clean, noisy} tokens

    void agreement(boolean same) {
        agreed += same ? 1 : 0;
        compared++;
    }

    void add(EvalItem it, AskResponse r) {
        boolean ok = r.getAnswer().equals(it.answer());
        n++;
        hits += ok ? 1 : 0;
        int[] f = families.computeIfAbsent(it.family().isEmpty() ? "all" : it.family(), k -> new int[2]);
        f[0] += ok ? 1 : 0;
        f[1]++;
        if (!it.bucket().isEmpty()) {   // reported beside the families, as obj_small / obj_medium / obj_large
            int[] b = families.computeIfAbsent("obj_" + it.bucket(), k -> new int[2]);
            b[0] += ok ? 1 : 0;
            b[1]++;
        }
        tokensUsed += r.getUsage().getVisualTokensUsed();
        if (it.scene() != null) {
            long[] t = tokensByObjects.computeIfAbsent(it.scene().objectsBucket(), k -> new long[2]);
            t[0] += r.getUsage().getVisualTokensUsed();
            t[1]++;
            if (it.scene().twin() >= 0) {
                twinTokens.computeIfAbsent(it.scene().twin(), k -> new long[]{-1, -1})[it.scene().noisy() ? 1 : 0] =
                        r.getUsage().getVisualTokensUsed();
            }
        }
        flopsUsed += r.getUsage().getPrefillFlopsUsed();
        flopsFull += r.getUsage().getPrefillFlopsFull();
        encoderFlops += r.getUsage().getEncoderFlopsUsed();
        latencyMs.add(r.getTimings().getTotalMicros() / 1000.0);
        tokenizeMs.add(r.getTimings().getTokenizeMicros() / 1000.0);
        pruneMs.add(r.getTimings().getPruneMicros() / 1000.0);
        generateMs.add(r.getTimings().getGenerateMicros() / 1000.0);
        prefillMs.add(r.getTimings().getPrefillMicros() / 1000.0);
    }

    /** Mean visual tokens per busyness bucket of the scenes (see {@link EvalItem.SceneFacts#objectsBucket}). */
    Map<String, Double> tokensByObjects() {
        Map<String, Double> out = new java.util.LinkedHashMap<>();
        for (String b : List.of("1-5", "6-12", "13-20")) {
            long[] t = tokensByObjects.get(b);
            if (t != null) {
                out.put(b, (double) t[0] / t[1]);
            }
        }
        return out;
    }

    /**
     * How far noise alone moves the token count: over the complete twins, the ratio of the larger count to the
     * smaller, as {pairs, largest ratio, share of pairs within 2x}; null without twins.
     */
    double[] noiseTwinRatios() {
        List<Double> ratios = twinTokens.values().stream().filter(t -> t[0] > 0 && t[1] > 0)
                .map(t -> (double) Math.max(t[0], t[1]) / Math.min(t[0], t[1])).toList();
        if (ratios.isEmpty()) {
            return null;
        }
        return new double[]{ratios.size(), ratios.stream().mapToDouble(Double::doubleValue).max().orElse(1),
                ratios.stream().filter(x -> x <= 2).count() / (double) ratios.size()};
    }

    double accuracy() {
        return n == 0 ? 0 : (double) hits / n;
    }

    void print(String policy) {
        WilsonInterval w = WilsonInterval.of(hits, n);
        Percentiles lat = new Percentiles(latencyMs.stream().mapToDouble(Double::doubleValue).toArray());
        System.out.printf("policy %s: accuracy %.2f%% (95%% CI %.2f-%.2f%%) on %d samples; mean visual tokens %.1f;"
                        + " prefill GFLOPs %.4f of %.4f; latency p50 %.1f ms p95 %.1f ms%n",
                policy, 100 * accuracy(), 100 * w.low(), 100 * w.high(), n, (double) tokensUsed / Math.max(1, n),
                flopsUsed / Math.max(1, n) / 1e9, flopsFull / Math.max(1, n) / 1e9, lat.at(50), lat.at(95));
        if (compared > 0) {
            System.out.printf("  agreement with the full-token answer %.2f%% (%d/%d)%n", 100.0 * agreed / compared, agreed, compared);
        }
        families.forEach((k, v) -> System.out.printf("  %-8s %6.2f%%  (%d/%d)%n", k, 100.0 * v[0] / v[1], v[0], v[1]));
        if (!tokensByObjects.isEmpty()) {
            StringBuilder sb = new StringBuilder("  mean visual tokens by objects in the scene:");
            tokensByObjects().forEach((k, v) -> sb.append(String.format(" %s: %.1f;", k, v)));
            System.out.println(sb);
        }
        double[] twins = noiseTwinRatios();
        if (twins != null) {
            System.out.printf("  noise twins: %d pairs, token ratio at most %.2fx, %.1f%% within 2x%n", (int) twins[0],
                    twins[1], 100 * twins[2]);
        }
    }

    ObjectNode toJson(ObjectMapper json, String policy, String source) {
        ObjectNode o = json.createObjectNode();
        o.put("policy", policy);
        o.put("source", source);
        o.put("samples", n);
        o.put("accuracy", accuracy());
        if (compared > 0) {
            o.put("agreement_with_full", (double) agreed / compared);
        }
        WilsonInterval w = WilsonInterval.of(hits, n);
        o.putArray("accuracy_ci95").add(w.low()).add(w.high());
        o.put("mean_visual_tokens", (double) tokensUsed / Math.max(1, n));
        o.put("mean_prefill_flops", flopsUsed / Math.max(1, n));
        o.put("mean_prefill_flops_full", flopsFull / Math.max(1, n));
        o.put("mean_encoder_flops", encoderFlops / Math.max(1, n));
        Percentiles lat = new Percentiles(latencyMs.stream().mapToDouble(Double::doubleValue).toArray());
        o.put("latency_ms_p50", lat.at(50));
        o.put("latency_ms_p95", lat.at(95));
        ObjectNode stages = o.putObject("stage_latency_ms");
        for (var e : Map.of("tokenize", tokenizeMs, "prune", pruneMs, "generate", generateMs, "prefill", prefillMs,
                "total", latencyMs).entrySet()) {
            Percentiles p = new Percentiles(e.getValue().stream().mapToDouble(Double::doubleValue).toArray());
            stages.putObject(e.getKey()).put("p50", p.at(50)).put("p95", p.at(95));
        }
        if (!tokensByObjects.isEmpty()) {
            ObjectNode byObjects = o.putObject("mean_visual_tokens_by_objects");
            tokensByObjects().forEach(byObjects::put);
        }
        double[] twins = noiseTwinRatios();
        if (twins != null) {
            o.putObject("noise_twins").put("pairs", (int) twins[0]).put("max_token_ratio", twins[1])
                    .put("within_2x", twins[2]);
        }
        ObjectNode fam = o.putObject("families");
        families.forEach((k, v) -> fam.putObject(k).put("accuracy", (double) v[0] / v[1]).put("samples", v[1]));
        return o;
    }
}
