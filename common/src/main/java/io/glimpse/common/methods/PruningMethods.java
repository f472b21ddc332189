package io.glimpse.common.methods;

import io.glimpse.proto.v1.Pruning;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The catalog of pruning methods: one {@link MethodDescriptor} per {@link Pruning.Method}. */
public final class PruningMethods {
    private static final Set<MethodNeed> VIT = Set.of(MethodNeed.VISION_ATTENTION, MethodNeed.VISION_KEYS);
    private static final Map<Pruning.Method, MethodDescriptor> ALL = new EnumMap<>(Pruning.Method.class);

    static {
        add(Pruning.Method.NONE, "keep every token", Set.of(), Set.of());
        add(Pruning.Method.RANDOM, "a seeded uniform subset (the request's seed)", Set.of(), Set.of());
        add(Pruning.Method.UNIFORM, "evenly strided tokens", Set.of(), Set.of());
        add(Pruning.Method.ZERO_TPRUNE, "weighted PageRank on the ViT attention graph, I' -> S -> I (Zero-TPrune)",
                Set.of(), VIT,
                MethodParam.number("iterations", 30, 1, 1000, "PageRank iterations at most"),
                MethodParam.number("tolerance", 1e-6, 0, 1, "stop when the L1 change is below this"),
                MethodParam.number("v_min", 0.01, 0, 1e9, "heads kept: rescaled score variance at least this"),
                MethodParam.number("v_max", 0.7, 0, 1e9, "and at most this"),
                MethodParam.number("s_share", 0.5, 0, 1, "share of the tokens to drop that the similarity stage drops"),
                MethodParam.choice("init", "uniform", List.of("uniform", "cls"), "PageRank start; cls: CLS weighted sqrt(N)"),
                MethodParam.number("graph_top_m", 0, 0, 1 << 20, "keep each row's m largest entries (0 = dense)"));
        add(Pruning.Method.TOME, "bipartite soft matching on ViT keys, size-weighted merges (ToMe)", Set.of(), VIT);
        add(Pruning.Method.VISIONZIP, "dominant tokens by CLS attention plus contextual merges (VisionZip)", Set.of(), VIT,
                MethodParam.number("contextual_share", 10.0 / 64, 0, 1, "share of the budget for contextual tokens"),
                MethodParam.choice("context_merge", "sum", List.of("sum", "mean"), "target + mean(assigned), or their average"));
        add(Pruning.Method.DIVPRUNE, "greedy max-min diversity of the LM-space embeddings (DivPrune)", Set.of(), Set.of(),
                MethodParam.choice("first", "isolated", List.of("isolated", "mean"),
                        "first pick: the most isolated token (released code) or the farthest from the mean"));
        add(Pruning.Method.FASTV, "the prompt's last token's attention at the probe layer (FastV)",
                Set.of(MethodNeed.LM_PROBE), Set.of());
        add(Pruning.Method.CORE_MATCHING, "tokens that activate the core FFN neurons (CoreMatching); elbow count without a budget",
                Set.of(MethodNeed.LM_PROBE), Set.of(),
                MethodParam.number("rho", 0.2, 1e-6, 1, "per token: top share of its positive activations"),
                MethodParam.number("beta", 0.4, 1e-6, 1, "core neurons: top share by frequency"));
        add(Pruning.Method.QUOTA, "query-oriented budget over images or regions, then shrink each (QuoTA)",
                Set.of(), Set.of(MethodNeed.LM_PROBE, MethodNeed.LM_DECODER),
                MethodParam.choice("scorer", "vlm", List.of("vlm", "attention", "similarity", "uniform"),
                        "unit relevance (vlm when the bundle declares query_decoupling, else attention with an LM probe, else similarity;"
                                + " uniform: the query-blind split)"),
                MethodParam.text("regions", "2x2", "RxC regions of a single image (tiled images: each tile is a unit)"),
                MethodParam.choice("within", "resize", withinChoices(), "how each unit is shrunk: resize, pool or a method"),
                MethodParam.number("min_per_unit", 0, 0, 1 << 20, "tokens every unit keeps at least"));
    }

    private PruningMethods() {
    }

    /** QuoTA shrinks a unit by resizing, pooling, or any per-image method of the catalog (added before QUOTA). */
    private static List<String> withinChoices() {
        List<String> c = new java.util.ArrayList<>(List.of("resize", "pool"));
        for (Pruning.Method m : ALL.keySet()) {
            if (m != Pruning.Method.NONE) {
                c.add(m.name().toLowerCase(Locale.ROOT));
            }
        }
        return c;
    }

    private static void add(Pruning.Method m, String summary, Set<MethodNeed> needs, Set<MethodNeed> optional,
                            MethodParam... params) {
        ALL.put(m, new MethodDescriptor(m, summary, needs, optional, Arrays.asList(params)));
    }

    /** Every method's name, in catalog order: what error messages list and what a full grid runs. */
    public static List<String> names() {
        return ALL.keySet().stream().map(Enum::name).toList();
    }

    /** The methods a request can name (not the proto's UNSPECIFIED and UNRECOGNIZED). */
    public static List<MethodDescriptor> all() {
        return List.copyOf(ALL.values());
    }

    public static MethodDescriptor of(Pruning.Method m) {
        MethodDescriptor d = ALL.get(m == Pruning.Method.METHOD_UNSPECIFIED ? Pruning.Method.NONE : m);
        if (d == null) {
            throw new IllegalArgumentException("no descriptor for pruning method " + m);
        }
        return d;
    }

    public static MethodDescriptor of(String name) {
        return of(Pruning.Method.valueOf(name.trim().toUpperCase(Locale.ROOT)));
    }

    /** True when any step of the pipeline (or QuoTA's method inside a unit) reads the ViT graph. */
    public static boolean readsVisionGraph(Pruning p) {
        if (p.getMethod() == Pruning.Method.UNRECOGNIZED) {
            return false;
        }
        if (of(p.getMethod()).readsVisionGraph()) {
            return true;
        }
        String within = p.getParamsOrDefault("within", "").trim().toUpperCase(Locale.ROOT);
        if (p.getMethod() == Pruning.Method.QUOTA && ALL.keySet().stream().anyMatch(m -> m.name().equals(within))
                && of(within).readsVisionGraph()) {
            return true;
        }
        return p.getThenList().stream().anyMatch(PruningMethods::readsVisionGraph);
    }

    /** The Markdown table of methods and parameters that docs/pruning.md carries (and a test compares). */
    public static String markdownTable() {
        StringBuilder sb = new StringBuilder("| method | reads | what it does | params (default, range) |\n|---|---|---|---|\n");
        for (MethodDescriptor d : all()) {
            java.util.List<String> reads = new java.util.ArrayList<>();
            d.needs().stream().sorted().forEach(n -> reads.add(n.name().toLowerCase(Locale.ROOT)));
            d.optional().stream().sorted().forEach(n -> reads.add(n.name().toLowerCase(Locale.ROOT) + " (optional)"));
            java.util.List<String> params = new java.util.ArrayList<>();
            d.params().forEach(p -> params.add("`" + p.name() + "` " + p.describe().replace("|", "\\|") + ": " + p.doc()));
            sb.append("| `").append(d.method()).append("` | ").append(reads.isEmpty() ? "—" : String.join(", ", reads))
                    .append(" | ").append(d.summary()).append(" | ").append(params.isEmpty() ? "—" : String.join("; ", params))
                    .append(" |\n");
        }
        return sb.toString();
    }
}
