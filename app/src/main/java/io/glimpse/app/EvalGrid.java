package io.glimpse.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.AskResponse;
import io.glimpse.proto.v1.EncoderReduction;
import io.glimpse.proto.v1.Generation;
import io.glimpse.proto.v1.Image;
import io.glimpse.proto.v1.Pruning;
import io.glimpse.proto.v1.TokenPolicy;
import io.glimpse.proto.v1.Tokenization;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The evaluation grid: every sample through the chain under each policy — FULL, POOLED(n²),
 * FLEX_PREFIX(k), each pruning method at each budget, ADAPTIVE at each target with each estimator —
 * reported as Markdown, CSV, JSON and plots (accuracy and latency against visual tokens).
 */
final class EvalGrid {
    /** One policy of the grid: its series (for the plots) and its label. */
    record Cell(String series, String label, TokenPolicy policy) {
    }

    private EvalGrid() {
    }

    /**
     * @param registers the bundle's resampler registers (0: no FLEX_PREFIX and no sufficiency head)
     * @param calibrated whether the bundle has a complexity calibration (the proxy's ADAPTIVE)
     */
    static List<Cell> cells(List<Pruning.Method> methods, int[] budgets, double[] targets, int gridTokens, int registers,
                            boolean calibrated) {
        return cells(methods, budgets, targets, gridTokens, registers, calibrated, false, false);
    }

    /**
     * @param clips the samples are clips of several frames: budgets are per frame, every method splits them
     *              uniformly, and QUOTA also runs with the same total as a global budget it assigns across
     *              frames by relevance ("QUOTA global b": keep_ratio b / grid over the whole clip) and, as its
     *              query-blind baseline, in equal shares ("QUOTA global uniform b")
     */
    static List<Cell> cells(List<Pruning.Method> methods, int[] budgets, double[] targets, int gridTokens, int registers,
                            boolean calibrated, boolean clips, boolean queryHead) {
        return cells(methods, budgets, targets, gridTokens, registers, calibrated, clips, queryHead, 0);
    }

    /**
     * @param encoderStages the bundle's vision-encoder stages (0 or 1: not staged); with two or more, single images
     *                      also run each encoder reduction to every budget, on a geometric schedule over the stages
     */
    static List<Cell> cells(List<Pruning.Method> methods, int[] budgets, double[] targets, int gridTokens, int registers,
                            boolean calibrated, boolean clips, boolean queryHead, int encoderStages) {
        List<Cell> cells = new ArrayList<>();
        cells.add(new Cell("FULL", "FULL (" + gridTokens + ")", TokenPolicy.getDefaultInstance()));
        for (int b : budgets) {
            int side = (int) Math.round(Math.sqrt(b));
            if (side * side == b && b <= gridTokens) {
                cells.add(new Cell("POOLED", "POOLED " + side + "x" + side, TokenPolicy.newBuilder().setTokenization(
                        Tokenization.newBuilder().setMode(Tokenization.Mode.POOLED).setTokens(b)).build()));
            }
        }
        for (int b : budgets) {
            if (b <= registers) {
                cells.add(new Cell("FLEX_PREFIX", "FLEX_PREFIX " + b, TokenPolicy.newBuilder().setTokenization(
                        Tokenization.newBuilder().setMode(Tokenization.Mode.FLEX_PREFIX).setTokens(b)).build()));
            }
        }
        for (Pruning.Method m : methods) {
            if (m == Pruning.Method.NONE || m == Pruning.Method.METHOD_UNSPECIFIED) {
                continue;
            }
            for (int b : budgets) {
                if (b < gridTokens) {
                    cells.add(new Cell(m.name(), m.name() + " " + b, TokenPolicy.newBuilder().setPruning(
                            Pruning.newBuilder().setMethod(m).setKeepTokens(b).setSeed(1)).build()));
                }
            }
            if (clips && m == Pruning.Method.QUOTA) {
                for (String scorer : List.of("", "uniform")) {
                    String series = scorer.isEmpty() ? "QUOTA global" : "QUOTA global uniform";
                    for (int b : budgets) {
                        if (b < gridTokens) {
                            Pruning.Builder p = Pruning.newBuilder().setMethod(m).setKeepRatio((float) b / gridTokens)
                                    .setGlobalBudget(true).setSeed(1);
                            if (!scorer.isEmpty()) {
                                p.putParams("scorer", scorer);
                            }
                            cells.add(new Cell(series, series + " " + b, TokenPolicy.newBuilder().setPruning(p).build()));
                        }
                    }
                }
            }
        }
        for (EncoderReduction.Method m : encoderStages >= 2 && !clips ? List.of(EncoderReduction.Method.TOME,
                EncoderReduction.Method.ZERO_TPRUNE, EncoderReduction.Method.ATTENTION_DROP) : List.<EncoderReduction.Method>of()) {
            String series = m.name() + " in encoder";
            for (int b : budgets) {
                if (b < gridTokens) {
                    EncoderReduction.Builder r = EncoderReduction.newBuilder().setMethod(m);
                    for (int k : PolicyOptions.geometricSchedule(gridTokens, encoderStages, b)) {
                        r.addKeepPerStage(k);
                    }
                    cells.add(new Cell(series, series + " " + b, TokenPolicy.newBuilder().setTokenization(
                            Tokenization.newBuilder().setEncoderReduction(r)).build()));
                }
            }
        }
        for (Tokenization.Estimator e : List.of(Tokenization.Estimator.QUERY_SUFFICIENCY_HEAD,
                Tokenization.Estimator.SUFFICIENCY_HEAD, Tokenization.Estimator.COMPLEXITY_PROXY)) {
            boolean available = switch (e) {
                case QUERY_SUFFICIENCY_HEAD -> queryHead;
                case SUFFICIENCY_HEAD -> registers > 0;
                default -> calibrated;
            };
            for (double t : available ? targets : new double[0]) {
                String name = switch (e) {
                    case QUERY_SUFFICIENCY_HEAD -> "ADAPTIVE query head";
                    case SUFFICIENCY_HEAD -> "ADAPTIVE head";
                    default -> "ADAPTIVE proxy";
                };
                cells.add(new Cell(name, name + " " + t, TokenPolicy.newBuilder().setTokenization(Tokenization.newBuilder()
                        .setMode(Tokenization.Mode.ADAPTIVE).setQualityTarget((float) t).setEstimator(e)).build()));
            }
        }
        return cells;
    }

    /** Runs the grid and writes results.{md,csv,json} and the plots into {@code out}; returns the JSON. */
    static ObjectNode run(List<EvalItem> items, GlimpseConnection c, List<Cell> cells, Generation generation,
                          Path out, String source) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ProgressLine progress = new ProgressLine(cells.size() * items.size());
        Map<Cell, EvalReport> reports = new LinkedHashMap<>();
        String[] fullAnswers = new String[items.size()];
        for (int i = 0; i < Math.min(5, items.size()); i++) {   // warm-up: first calls pay for lazy initialisation
            for (Cell cell : cells) {
                c.blocking().ask(items.get(i).ask().setPolicy(cell.policy()).setGeneration(generation).build());
            }
        }
        for (Cell cell : cells) {
            EvalReport report = new EvalReport();
            for (int i = 0; i < items.size(); i++) {
                EvalItem it = items.get(i);
                AskResponse r = c.blocking().ask(it.ask().setPolicy(cell.policy()).setGeneration(generation).build());
                report.add(it, r);
                if (fullAnswers[i] == null) {
                    fullAnswers[i] = r.getAnswer();   // the first cell is FULL
                }
                report.agreement(r.getAnswer().equals(fullAnswers[i]));
                progress.step(cell.label());
            }
            reports.put(cell, report);
        }
        ObjectNode root = json.createObjectNode();
        root.put("source", source);
        root.put("samples", items.size());
        ArrayNode arr = root.putArray("cells");
        reports.forEach((cell, r) -> {
            ObjectNode o = r.toJson(json, cell.label(), source);
            o.put("series", cell.series());
            arr.add(o);
        });
        Files.createDirectories(out);
        json.writerWithDefaultPrettyPrinter().writeValue(out.resolve("results.json").toFile(), root);
        Files.writeString(out.resolve("results.csv"), csv(arr));
        Files.writeString(out.resolve("results.md"), markdown(arr, source, items.size()));
        plots(arr, out);
        return root;
    }

    static final List<String> FAMILIES = List.of("closest", "color", "count", "exist", "shape", "size", "where");

    /** The families the cells report: single-image ones in their usual order, then the rest (clip families) sorted. */
    static List<String> families(ArrayNode cells) {
        java.util.TreeSet<String> seen = new java.util.TreeSet<>();
        cells.forEach(c -> c.path("families").fieldNames().forEachRemaining(seen::add));
        List<String> out = new ArrayList<>(FAMILIES.stream().filter(seen::contains).toList());
        seen.stream().filter(f -> !FAMILIES.contains(f)).forEach(out::add);
        return out.isEmpty() ? FAMILIES : out;
    }

    static String csv(ArrayNode cells) {
        List<String> families = families(cells);
        StringBuilder sb = new StringBuilder("policy,series,samples,accuracy,ci_low,ci_high,agreement_with_full,"
                + "mean_visual_tokens,mean_prefill_gflops,mean_encoder_gflops,latency_p50_ms,latency_p95_ms,tokenize_p50_ms,prune_p50_ms,"
                + "prefill_p50_ms,generate_p50_ms");
        families.forEach(f -> sb.append(",acc_").append(f));
        sb.append('\n');
        for (var c : cells) {
            var st = c.path("stage_latency_ms");
            sb.append(String.format(Locale.ROOT, "\"%s\",%s,%d,%.4f,%.4f,%.4f,%.4f,%.2f,%.5f,%.5f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f",
                    c.path("policy").asText(), c.path("series").asText(), c.path("samples").asInt(),
                    c.path("accuracy").asDouble(), c.path("accuracy_ci95").get(0).asDouble(), c.path("accuracy_ci95").get(1).asDouble(),
                    c.path("agreement_with_full").asDouble(), c.path("mean_visual_tokens").asDouble(),
                    c.path("mean_prefill_flops").asDouble() / 1e9, c.path("mean_encoder_flops").asDouble() / 1e9,
                    c.path("latency_ms_p50").asDouble(), c.path("latency_ms_p95").asDouble(), st.path("tokenize").path("p50").asDouble(),
                    st.path("prune").path("p50").asDouble(), st.path("prefill").path("p50").asDouble(),
                    st.path("generate").path("p50").asDouble()));
            for (String f : families) {
                sb.append(String.format(Locale.ROOT, ",%.4f", c.path("families").path(f).path("accuracy").asDouble(Double.NaN)));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    static String markdown(ArrayNode cells, String source, int samples) {
        List<String> families = families(cells);
        StringBuilder sb = new StringBuilder();
        sb.append("| policy | tokens | accuracy % (95% CI) | agrees with FULL % | prefill GFLOPs | encoder GFLOPs | p50 / p95 ms (tokenize, prune, prefill) |");
        families.forEach(f -> sb.append(' ').append(f).append(" |"));
        sb.append("\n|---|---|---|---|---|---|---|");
        families.forEach(f -> sb.append("---|"));
        sb.append('\n');
        for (var c : cells) {
            var st = c.path("stage_latency_ms");
            sb.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f (%.1f-%.1f) | %.1f | %.4f | %.4f | %.1f / %.1f (%.1f, %.2f, %.1f) |",
                    c.path("policy").asText(), c.path("mean_visual_tokens").asDouble(), 100 * c.path("accuracy").asDouble(),
                    100 * c.path("accuracy_ci95").get(0).asDouble(), 100 * c.path("accuracy_ci95").get(1).asDouble(),
                    100 * c.path("agreement_with_full").asDouble(), c.path("mean_prefill_flops").asDouble() / 1e9,
                    c.path("mean_encoder_flops").asDouble() / 1e9, c.path("latency_ms_p50").asDouble(), c.path("latency_ms_p95").asDouble(),
                    st.path("tokenize").path("p50").asDouble(), st.path("prune").path("p50").asDouble(),
                    st.path("prefill").path("p50").asDouble()));
            for (String f : families) {
                double a = c.path("families").path(f).path("accuracy").asDouble(Double.NaN);
                sb.append(Double.isNaN(a) ? " |" : String.format(Locale.ROOT, " %.1f |", 100 * a));
            }
            sb.append('\n');
        }
        // ADAPTIVE should spend more on busy scenes than on simple ones, and noise alone should barely move it
        List<JsonNode> adaptive = new ArrayList<>();
        cells.forEach(c -> {
            if (c.path("series").asText().startsWith("ADAPTIVE") && c.has("mean_visual_tokens_by_objects")) {
                adaptive.add(c);
            }
        });
        if (!adaptive.isEmpty()) {
            sb.append("\n| ADAPTIVE | mean tokens, 1-5 objects | 6-12 objects | 13-20 objects | noise twins: largest token ratio"
                    + " | within 2x % |\n|---|---|---|---|---|---|\n");
            for (JsonNode c : adaptive) {
                JsonNode t = c.path("mean_visual_tokens_by_objects");
                JsonNode twins = c.path("noise_twins");
                sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", c.path("policy").asText(),
                        oneDecimal(t.path("1-5")), oneDecimal(t.path("6-12")), oneDecimal(t.path("13-20")),
                        twins.isMissingNode() ? "" : String.format(Locale.ROOT, "%.2f", twins.path("max_token_ratio").asDouble()),
                        twins.isMissingNode() ? "" : String.format(Locale.ROOT, "%.1f", 100 * twins.path("within_2x").asDouble())));
            }
        }
        return sb.toString();
    }

    private static String oneDecimal(JsonNode n) {
        return n.isMissingNode() ? "" : String.format(Locale.ROOT, "%.1f", n.asDouble());
    }

    static void plots(ArrayNode cells, Path out) throws IOException {
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        for (var c : cells) {
            series.computeIfAbsent(c.path("series").asText(), k -> new ArrayList<>()).add(new double[]{
                    c.path("mean_visual_tokens").asDouble(), 100 * c.path("accuracy").asDouble(),
                    c.path("stage_latency_ms").path("prefill").path("p50").asDouble(), c.path("latency_ms_p50").asDouble()});
        }
        XYChart acc = chart("Accuracy against visual tokens", "Accuracy (%)");
        XYChart lat = chart("Prefill latency against visual tokens", "LM prefill p50 (ms)");
        series.forEach((name, pts) -> {
            pts.sort((a, b) -> Double.compare(a[0], b[0]));
            double[] x = pts.stream().mapToDouble(p -> p[0]).toArray();
            XYSeries s = acc.addSeries(name, x, pts.stream().mapToDouble(p -> p[1]).toArray());
            s.setMarker(SeriesMarkers.CIRCLE);
            XYSeries l = lat.addSeries(name, x, pts.stream().mapToDouble(p -> p[2]).toArray());
            l.setMarker(SeriesMarkers.CIRCLE);
        });
        for (var e : Map.of("accuracy_vs_tokens", acc, "latency_vs_tokens", lat).entrySet()) {
            BitmapEncoder.saveBitmap(e.getValue(), out.resolve(e.getKey()).toString(), BitmapEncoder.BitmapFormat.PNG);
            VectorGraphicsEncoder.saveVectorGraphic(e.getValue(), out.resolve(e.getKey()).toString(),
                    VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        }
    }

    private static XYChart chart(String title, String yTitle) {
        XYChart chart = new XYChartBuilder().width(900).height(560).title(title).xAxisTitle("Visual tokens into the LM (mean)")
                .yAxisTitle(yTitle).build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
        return chart;
    }
}
