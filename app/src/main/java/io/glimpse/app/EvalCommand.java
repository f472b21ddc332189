package io.glimpse.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.AskResponse;
import io.glimpse.proto.v1.Image;
import io.glimpse.shapes.Clip;
import io.glimpse.shapes.Sample;
import io.glimpse.shapes.ScenePng;
import io.glimpse.shapes.ShapesVideoGenerator;
import io.glimpse.shapes.ShapesVqaGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/** {@code glimpse eval}: exact-match accuracy of one token policy through the real chain. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Accuracy of one policy on fresh seeded Shapes-VQA samples (or --data JSONL) through the chain.")
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--count", defaultValue = "500", description = "Samples to generate (default ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--seed", defaultValue = "20261128", description = "Generator seed (default ${DEFAULT-VALUE}; never used in training).")
    long seed;

    @Option(names = "--data", description = "JSONL of {image (or images), question, answer[, family]} instead of generated samples.")
    Path data;

    @Option(names = "--frames", paramLabel = "N|MIN-MAX",
            description = "Shapes-Video clips of N (or MIN to MAX) frames instead of single images; each clip is one Ask with"
                    + " its frames as images. With --grid a comma list (e.g. 2,4,8) is a frames axis: one grid per length.")
    String frames;

    @Mixin
    RemoteOptions remote;

    @Option(names = "--out", description = "Write the report as JSON here.")
    Path out;

    @Option(names = "--predictions", description = "Write one JSON line per sample (question, expected, answer) here.")
    Path predictions;

    @Option(names = "--grid", description = "Run the evaluation grid (modes x methods x budgets, ADAPTIVE targets) instead of one policy.")
    boolean grid;

    @Option(names = "--methods", split = ",", description = "Grid: pruning methods (default: every method of the catalog).")
    List<io.glimpse.proto.v1.Pruning.Method> methods;

    /** The grid's methods: as given, else the catalog's, NONE aside (FULL is the grid's own row). */
    private List<io.glimpse.proto.v1.Pruning.Method> gridMethods() {
        return methods != null ? methods : io.glimpse.common.methods.PruningMethods.all().stream()
                .map(io.glimpse.common.methods.MethodDescriptor::method)
                .filter(m -> m != io.glimpse.proto.v1.Pruning.Method.NONE).toList();
    }

    @Option(names = "--budgets", split = ",", defaultValue = "4,9,16,36,64,144", description = "Grid: visual-token budgets.")
    int[] budgets;

    @Option(names = "--quality-targets", split = ",", defaultValue = "0.9,0.95,0.99",
            description = "Grid: ADAPTIVE quality targets (not to be confused with --target, the gateway).")
    double[] qualityTargets;

    @Option(names = "--out-dir", defaultValue = "eval-out", description = "Grid: where results.{md,csv,json} and the plots go.")
    Path outDir;

    @Option(names = "--agreement", description = "Also ask with all tokens (and the dense FFN) and report how often the answers agree (fidelity).")
    boolean agreement;

    @Mixin
    ModelOptions model;

    @Mixin
    PolicyOptions policy;

    /** One evaluation sample: one image, or a clip's frames in order. */
    record Item(List<byte[]> images, String question, String answer, String family) {
        AskRequest.Builder ask() {
            AskRequest.Builder b = AskRequest.newBuilder().setQuestion(question);
            images.forEach(i -> b.addImages(Image.newBuilder().setData(ByteString.copyFrom(i))));
            return b;
        }
    }

    static List<Item> generate(long seed, int count, String frames) {
        List<Item> items = new ArrayList<>();
        if (frames != null) {
            FrameRange range = FrameRange.parse(frames);
            ShapesVideoGenerator gen = new ShapesVideoGenerator(seed, range.min(), range.max());
            for (int i = 0; i < count; i++) {
                Clip c = gen.next();
                items.add(new Item(c.frames().stream().map(ScenePng::encode).toList(), c.question(), c.answer(),
                        c.family().key()));
            }
            return items;
        }
        ShapesVqaGenerator gen = new ShapesVqaGenerator(seed);
        for (int i = 0; i < count; i++) {
            Sample s = gen.next();
            items.add(new Item(List.of(ScenePng.encode(s.scene())), s.question(), s.answer(), s.family().key()));
        }
        return items;
    }

    @Override
    public Integer call() throws Exception {
        List<Item> items = new ArrayList<>();
        if (data != null) {
            for (ExampleSet.Example e : ExampleSet.read(data).examples()) {
                List<byte[]> bytes = new ArrayList<>();
                for (Path p : e.images()) {
                    bytes.add(Files.readAllBytes(p));
                }
                items.add(new Item(bytes, e.question(), e.answer(), e.family()));
            }
        } else if (!(grid && frames != null && frames.contains(","))) {
            items = generate(seed, count, frames);
        }
        if (grid) {
            try (GlimpseConnection c = GlimpseConnection.open(remote, model, EmbeddedStack.Transport.IN_PROCESS, false)) {
                var bundle = model.openBundle();
                var cfg = bundle.config();
                boolean resampler = bundle.has(io.glimpse.model.bundle.ModelBundle.RESAMPLER);
                // the frames axis: one grid per clip length, each in its own directory
                boolean frameAxis = data == null && frames != null && frames.contains(",");
                List<String> axis = frameAxis ? List.of(frames.split(",")) : java.util.Collections.singletonList(frames);
                for (String f : axis) {
                    List<Item> set = frameAxis ? generate(seed, count, f.trim()) : items;
                    Path dir = frameAxis ? outDir.resolve("frames-" + f.trim()) : outDir;
                    List<EvalGrid.Cell> cells = EvalGrid.cells(gridMethods(), budgets, qualityTargets, cfg.gridTokens(),
                            resampler ? cfg.registers() : 0, !cfg.complexityCalibration().isMissingNode(),
                            set.stream().anyMatch(i -> i.images().size() > 1));
                    String source = data != null ? data.toString()
                            : (f != null ? "Shapes-Video (" + f.trim() + " frames) seed " : "Shapes-VQA seed ") + seed;
                    EvalGrid.run(set, c, cells, policy.generation(), dir, source);
                    System.out.println(Files.readString(dir.resolve("results.md")));
                    System.err.println("eval: " + cells.size() + " policies x " + set.size() + " samples -> " + dir.toAbsolutePath());
                }
            }
            return 0;
        }
        Report report = new Report();
        ObjectMapper json = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        ProgressLine progress = new ProgressLine(items.size());
        try (GlimpseConnection c = GlimpseConnection.open(remote, model, EmbeddedStack.Transport.IN_PROCESS, false)) {
            for (Item it : items) {
                progress.step(it.family());
                AskResponse r = c.blocking().ask(it.ask().setPolicy(policy.policy()).setGeneration(policy.generation())
                        .build());
                report.add(it, r);
                if (agreement) {
                    // the uncompressed model: every visual token and the dense FFN
                    AskResponse full = c.blocking().ask(it.ask().setGeneration(policy.generation().toBuilder()
                            .setCoreNeurons(0f)).build());
                    report.agreement(full.getAnswer().equals(r.getAnswer()));
                }
                if (predictions != null) {
                    lines.add(json.writeValueAsString(json.createObjectNode().put("question", it.question())
                            .put("family", it.family()).put("expected", it.answer()).put("answer", r.getAnswer())));
                }
            }
        }
        ObjectNode node = report.toJson(json, policy.describe(), data != null ? data.toString()
                : (frames != null ? "shapes-video " + frames + " frames seed " : "shapes seed ") + seed);
        report.print(policy.describe());
        if (out != null) {
            json.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), node);
        }
        if (predictions != null) {
            Files.write(predictions, lines);
        }
        return 0;
    }

    /** Accumulates accuracy, tokens, FLOPs and latency. */
    static final class Report {
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
        private int agreed;
        private int compared;

        void agreement(boolean same) {
            agreed += same ? 1 : 0;
            compared++;
        }

        void add(Item it, AskResponse r) {
            boolean ok = r.getAnswer().equals(it.answer());
            n++;
            hits += ok ? 1 : 0;
            int[] f = families.computeIfAbsent(it.family().isEmpty() ? "all" : it.family(), k -> new int[2]);
            f[0] += ok ? 1 : 0;
            f[1]++;
            tokensUsed += r.getUsage().getVisualTokensUsed();
            flopsUsed += r.getUsage().getPrefillFlopsUsed();
            flopsFull += r.getUsage().getPrefillFlopsFull();
            latencyMs.add(r.getTimings().getTotalMicros() / 1000.0);
            tokenizeMs.add(r.getTimings().getTokenizeMicros() / 1000.0);
            pruneMs.add(r.getTimings().getPruneMicros() / 1000.0);
            generateMs.add(r.getTimings().getGenerateMicros() / 1000.0);
            prefillMs.add(r.getTimings().getPrefillMicros() / 1000.0);
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
            Percentiles lat = new Percentiles(latencyMs.stream().mapToDouble(Double::doubleValue).toArray());
            o.put("latency_ms_p50", lat.at(50));
            o.put("latency_ms_p95", lat.at(95));
            ObjectNode stages = o.putObject("stage_latency_ms");
            for (var e : Map.of("tokenize", tokenizeMs, "prune", pruneMs, "generate", generateMs, "prefill", prefillMs,
                    "total", latencyMs).entrySet()) {
                Percentiles p = new Percentiles(e.getValue().stream().mapToDouble(Double::doubleValue).toArray());
                stages.putObject(e.getKey()).put("p50", p.at(50)).put("p95", p.at(95));
            }
            ObjectNode fam = o.putObject("families");
            families.forEach((k, v) -> fam.putObject(k).put("accuracy", (double) v[0] / v[1]).put("samples", v[1]));
            return o;
        }
    }
}
