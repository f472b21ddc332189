package io.glimpse.app;

import io.glimpse.proto.v1.EncoderReduction;
import io.glimpse.proto.v1.Generation;
import io.glimpse.proto.v1.Pruning;
import io.glimpse.proto.v1.TokenPolicy;
import io.glimpse.proto.v1.Tokenization;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Token policy and generation flags, shared by ask / eval / bench. */
final class PolicyOptions {
    @Option(names = "--mode", defaultValue = "FULL", completionCandidates = ModeNames.class, description = "Tokenization: ${COMPLETION-CANDIDATES}.")
    Tokenization.Mode mode;

    @Option(names = "--tokens", defaultValue = "0", description = "POOLED: n*n tokens; FLEX_PREFIX: k registers.")
    int tokens;

    @Option(names = "--quality", defaultValue = "0.95", description = "ADAPTIVE quality target in (0, 1].")
    float quality;

    @Option(names = "--estimator", defaultValue = "ESTIMATOR_AUTO",
            description = "ADAPTIVE: ESTIMATOR_AUTO, QUERY_SUFFICIENCY_HEAD (sees the question), SUFFICIENCY_HEAD (the"
                    + " image alone) or COMPLEXITY_PROXY.")
    Tokenization.Estimator estimator;

    @Option(names = "--encoder-reduction", description = "Reduce tokens inside the vision encoder (FULL; bundles with a "
            + "staged encoder): METHOD:k1,k2,... (patch tokens kept after stage 1, 2, ...) or METHOD:r=N (N removed after "
            + "every stage but the last); METHOD is TOME, ZERO_TPRUNE or ATTENTION_DROP. E.g. TOME:100,64,36.")
    String encoderReduction;

    @Option(names = "--max-tiles", defaultValue = "0", description = "Tiled bundles (SmolVLM / Idefics3): encode the global"
            + " image, then only this many tiles, the most relevant to the question; the rest are never encoded (0 = all).")
    int maxTiles;

    @Option(names = "--method", defaultValue = "NONE", completionCandidates = MethodNames.class,
            description = "Pruning method: ${COMPLETION-CANDIDATES} (glimpse methods lists what each needs and its parameters).")
    Pruning.Method method;

    @Option(names = "--prune-param", description = "Method parameter key=value (repeatable), e.g. iterations=10; see glimpse methods.")
    Map<String, String> pruneParams = new LinkedHashMap<>();

    @Option(names = "--global-budget", description = "--keep is the total over all images of the request (--keep-ratio a share of all their tokens); QUOTA assigns it by relevance.")
    boolean globalBudget;

    @Option(names = "--then", description = "A further pruning step (repeatable, applied in order): "
            + "METHOD[:keep=N|keep_ratio=R|global|seed=S|param=value,...], e.g. ZERO_TPRUNE:keep=16,iterations=10.")
    List<String> then = new ArrayList<>();

    @Option(names = "--keep", defaultValue = "0", description = "Pruning: tokens to keep per image (0 = all).")
    int keep;

    @Option(names = "--keep-ratio", defaultValue = "0", description = "Pruning: fraction of tokens to keep (0 = unset).")
    float keepRatio;

    @Option(names = "--prune-seed", defaultValue = "0", description = "Seed of RANDOM pruning.")
    long pruneSeed;

    @Option(names = "--max-new-tokens", defaultValue = "0", description = "0 = server default.")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy.")
    float temperature;

    @Option(names = "--top-p", defaultValue = "0", description = "Nucleus sampling mass (0 or 1 = off).")
    float topP;

    @Option(names = "--sample-seed", defaultValue = "0", description = "Sampling seed (temperature > 0).")
    long seed;

    @Option(names = "--core-neurons", defaultValue = "0",
            description = "CoreMatching's neuron half: decode over this share (beta) of each layer's core neurons"
                    + " (0 = dense FFN; needs decoder_model_core.onnx in the bundle).")
    float coreNeurons;

    TokenPolicy policy() {
        Tokenization.Builder t = Tokenization.newBuilder().setMode(mode).setTokens(tokens);
        if (mode == Tokenization.Mode.ADAPTIVE) {
            t.setQualityTarget(quality).setEstimator(estimator);
        }
        if (encoderReduction != null && !encoderReduction.isBlank()) {
            t.setEncoderReduction(encoderReduction(encoderReduction));
        }
        t.setMaxTiles(maxTiles);
        Pruning.Builder p = Pruning.newBuilder().setMethod(method).setSeed(pruneSeed).putAllParams(pruneParams)
                .setGlobalBudget(globalBudget);
        if (keep > 0) {
            p.setKeepTokens(keep);
        } else if (keepRatio > 0) {
            p.setKeepRatio(keepRatio);
        }
        for (String step : then) {
            p.addThen(step(step));
        }
        return TokenPolicy.newBuilder().setTokenization(t).setPruning(p).build();
    }

    /** {@code --encoder-reduction METHOD:k1,k2,...} or {@code METHOD:r=N}. */
    static EncoderReduction encoderReduction(String text) {
        String[] parts = methodAndRest(text);
        EncoderReduction.Builder b = EncoderReduction.newBuilder();
        try {
            b.setMethod(EncoderReduction.Method.valueOf(parts[0]));
            String rest = parts[1];
            if (rest.startsWith("r=")) {
                b.setR(Integer.parseInt(rest.substring(2).trim()));
            } else if (!rest.isEmpty()) {
                for (String k : rest.split(",")) {
                    b.addKeepPerStage(Integer.parseInt(k.trim()));
                }
            }
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(new CommandLine(new PolicyOptions()), "--encoder-reduction: \"" + text
                    + "\" is not METHOD:k1,k2,... or METHOD:r=N with METHOD one of TOME, ZERO_TPRUNE, ATTENTION_DROP");
        }
        return b.build();
    }

    /**
     * A schedule that reaches {@code target} patch tokens after the last of {@code stages - 1} reductions,
     * removing the same share at each ({@code patches * (target / patches)^(i / (stages - 1))} after stage i).
     */
    static int[] geometricSchedule(int patches, int stages, int target) {
        int[] keep = new int[stages - 1];
        for (int i = 1; i < stages; i++) {
            keep[i - 1] = Math.max(target, (int) Math.round(patches * Math.pow((double) target / patches,
                    (double) i / (stages - 1))));
        }
        return keep;
    }

    /** {@code METHOD[:rest]} as the method's name in upper case and the rest ("" when none). */
    private static String[] methodAndRest(String text) {
        int colon = text.indexOf(':');
        return new String[]{(colon < 0 ? text : text.substring(0, colon)).trim().toUpperCase(Locale.ROOT),
                colon < 0 ? "" : text.substring(colon + 1).trim()};
    }

    /** One {@code --then} step: {@code METHOD[:key=value,...]}. */
    static Pruning step(String text) {
        int colon = text.indexOf(':');
        String name = methodAndRest(text)[0];
        Pruning.Builder b = Pruning.newBuilder();
        try {
            b.setMethod(Pruning.Method.valueOf(name));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(new CommandLine(new PolicyOptions()),
                    "--then: unknown pruning method " + name + " in \"" + text + "\"");
        }
        if (colon >= 0) {
            for (String kv : text.substring(colon + 1).split(",")) {
                String[] parts = kv.split("=", 2);
                String key = parts[0].trim();
                String value = parts.length > 1 ? parts[1].trim() : "";
                try {
                    switch (key) {
                        case "keep" -> b.setKeepTokens(Integer.parseInt(value));
                        case "keep_ratio" -> b.setKeepRatio(Float.parseFloat(value));
                        case "seed" -> b.setSeed(Long.parseLong(value));
                        case "global" -> b.setGlobalBudget(true);
                        case "" -> { }
                        default -> b.putParams(key, value);
                    }
                } catch (NumberFormatException e) {
                    throw new CommandLine.ParameterException(new CommandLine(new PolicyOptions()),
                            "--then: " + key + "=" + value + " is not a number in \"" + text + "\"");
                }
            }
        }
        return b.build();
    }

    Generation generation() {
        return Generation.newBuilder().setMaxNewTokens(maxNewTokens).setTemperature(temperature).setTopP(topP)
                .setSeed(seed).setCoreNeurons(coreNeurons).build();
    }

    String describe() {
        String m = switch (mode) {
            case POOLED, FLEX_PREFIX -> mode + "(" + tokens + ")";
            case ADAPTIVE -> "ADAPTIVE(" + quality + (estimator == Tokenization.Estimator.ESTIMATOR_AUTO ? ""
                    : ", " + estimator) + ")";
            default -> "FULL";
        };
        if (encoderReduction != null && !encoderReduction.isBlank()) {
            m += " in-encoder " + encoderReduction;
        }
        String p = method == Pruning.Method.NONE || method == Pruning.Method.METHOD_UNSPECIFIED ? ""
                : " + " + method + (keep > 0 ? "(" + keep + ")" : keepRatio > 0 ? "(" + keepRatio + ")" : "")
                + (pruneParams.isEmpty() ? "" : pruneParams.toString());
        for (String step : then) {
            p += " -> " + step;
        }
        return m + p;
    }

    /** The methods a request can name, from the catalog (not the proto's UNSPECIFIED or UNRECOGNIZED). */
    static final class MethodNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return io.glimpse.common.methods.PruningMethods.all().stream().map(d -> d.method().name()).iterator();
        }
    }

    /** The tokenization modes a request can name. */
    static final class ModeNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return java.util.Arrays.stream(io.glimpse.proto.v1.Tokenization.Mode.values())
                    .filter(m -> m != io.glimpse.proto.v1.Tokenization.Mode.MODE_UNSPECIFIED
                            && m != io.glimpse.proto.v1.Tokenization.Mode.UNRECOGNIZED)
                    .map(Enum::name).iterator();
        }
    }

    /** The bundled single-image examples asked under this policy (what the benchmarks send). */
    java.util.List<io.glimpse.proto.v1.AskRequest> exampleAsks() {
        java.util.List<io.glimpse.proto.v1.AskRequest> reqs = new java.util.ArrayList<>();
        for (ExampleSet.Example e : ExampleSet.read(GlimpseHome.examples().resolve("examples.jsonl")).examples()) {
            reqs.add(e.askBuilder().setPolicy(policy()).setGeneration(generation()).build());
        }
        return reqs;
    }
}
