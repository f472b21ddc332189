package io.glimpse.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.glimpse.proto.v1.AskResponse;
import io.glimpse.shapes.Clip;
import io.glimpse.shapes.Sample;
import io.glimpse.shapes.Scene;
import io.glimpse.shapes.ScenePng;
import io.glimpse.shapes.SceneRenderer;
import io.glimpse.shapes.ShapesVideoGenerator;
import io.glimpse.shapes.ShapesVqaGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
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

    @Option(names = "--distribution",
            description = "Generated scenes (docs/design/model.md): classic (96 x 96; models v1-v3) or detail (192 x 192,"
                    + " 576 patches; v4); default: the one the bundle's image size says it was trained on. Accuracy is also reported per size bucket of the question's object (obj_small < 24 px ...).")
    String distribution;

    @Option(names = "--noise-twins", description = "Single images: each scene also with its background noise toggled"
            + " (same objects and question; --count scenes, twice the samples); reports how far noise alone moves the"
            + " visual tokens ADAPTIVE spends.")
    boolean noiseTwins;

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

    @Option(names = "--budgets", split = ",", description = "Grid: visual-token budgets (default: on a 576-token grid the"
            + " papers' 192, 128, 64 and 16, plus 144 for 12 x 12 pooling; on smaller grids 4, 9, 16, 36, 64, 144).")
    int[] budgets;

    /** The papers' budgets on LLaVA-1.5's 576 tokens; v1-v3's on their 144. */
    static int[] defaultBudgets(int gridTokens) {
        return gridTokens >= 576 ? new int[]{16, 64, 128, 144, 192} : new int[]{4, 9, 16, 36, 64, 144};
    }

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



    static List<EvalItem> generate(long seed, int count, String frames) {
        return generate(seed, count, frames, io.glimpse.shapes.SceneSpec.CLASSIC, false);
    }

    /**
     * @param twins also each scene again with its background noise toggled (same objects, clutter and question),
     *              next to it: what noise alone does to ADAPTIVE's count
     */
    static List<EvalItem> generate(long seed, int count, String frames, io.glimpse.shapes.SceneSpec spec, boolean twins) {
        List<EvalItem> items = new ArrayList<>();
        if (frames != null) {
            FrameRange range = FrameRange.parse(frames);
            ShapesVideoGenerator gen = new ShapesVideoGenerator(seed, range.min(), range.max(), spec);
            for (int i = 0; i < count; i++) {
                Clip c = gen.next();
                items.add(new EvalItem(c.frames().stream().map(ScenePng::encode).toList(), c.question(), c.answer(),
                        c.family().key()));
            }
            return items;
        }
        ShapesVqaGenerator gen = new ShapesVqaGenerator(seed, spec);
        for (int i = 0; i < count; i++) {
            Sample s = gen.next();
            Scene scene = s.scene();
            String bucket = io.glimpse.shapes.SizeBucket.of(s).map(b -> b.word()).orElse("");
            int twin = twins ? i : -1;
            items.add(new EvalItem(List.of(ScenePng.encode(scene)), s.question(), s.answer(), s.family().key(), bucket,
                    new EvalItem.SceneFacts(scene.objects().size(), scene.noisy(), twin)));
            if (twins) {
                Scene toggled = SceneRenderer.render(scene.size(), scene.background(), !scene.noisy(), scene.clutter(),
                        scene.objects(), new SplittableRandom(seed * 31 + i));
                items.add(new EvalItem(List.of(ScenePng.encode(toggled)), s.question(), s.answer(), s.family().key(),
                        bucket, new EvalItem.SceneFacts(scene.objects().size(), toggled.noisy(), twin)));
            }
        }
        return items;
    }

    private io.glimpse.shapes.SceneSpec scenes() {
        if (distribution != null) {
            return io.glimpse.shapes.SceneSpec.of(distribution);
        }
        return io.glimpse.shapes.SceneSpec.forImageSize(model.openBundle().config().imageSize());
    }

    @Override
    public Integer call() throws Exception {
        List<EvalItem> items = new ArrayList<>();
        io.glimpse.shapes.SceneSpec spec = data == null ? scenes() : null;
        if (data != null) {
            for (ExampleSet.Example e : ExampleSet.read(data).examples()) {
                List<byte[]> bytes = new ArrayList<>();
                for (Path p : e.images()) {
                    bytes.add(Files.readAllBytes(p));
                }
                items.add(new EvalItem(bytes, e.question(), e.answer(), e.family()));
            }
        } else if (!(grid && frames != null && frames.contains(","))) {
            items = generate(seed, count, frames, spec, noiseTwins);
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
                    List<EvalItem> set = frameAxis ? generate(seed, count, f.trim(), spec, false) : items;
                    Path dir = frameAxis ? outDir.resolve("frames-" + f.trim()) : outDir;
                    boolean clips = set.stream().anyMatch(i -> i.images().size() > 1);
                    // a clip's frames may enter pooled (video.frame_pool_side): budgets are shares of what a frame brings
                    int perImage = clips && cfg.framePoolSide() > 0 ? cfg.framePoolSide() * cfg.framePoolSide() : cfg.gridTokens();
                    List<EvalGrid.Cell> cells = EvalGrid.cells(gridMethods(),
                            budgets != null ? budgets : defaultBudgets(perImage), qualityTargets, perImage,
                            resampler ? cfg.registers() : 0, !cfg.complexityCalibration().isMissingNode(), clips,
                            bundle.has(io.glimpse.model.bundle.ModelBundle.SUFFICIENCY_QUERY),
                            cfg.visionStages() == null ? 0 : cfg.visionStages().count());
                    String source = data != null ? data.toString()
                            : (f != null ? "Shapes-Video (" + f.trim() + " frames) seed " : "Shapes-VQA seed ") + seed;
                    EvalGrid.run(set, c, cells, policy.generation(), dir, source);
                    System.out.println(Files.readString(dir.resolve("results.md")));
                    System.err.println("eval: " + cells.size() + " policies x " + set.size() + " samples -> " + dir.toAbsolutePath());
                }
            }
            return 0;
        }
        EvalReport report = new EvalReport();
        ObjectMapper json = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        ProgressLine progress = new ProgressLine(items.size());
        try (GlimpseConnection c = GlimpseConnection.open(remote, model, EmbeddedStack.Transport.IN_PROCESS, false)) {
            for (EvalItem it : items) {
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


}
