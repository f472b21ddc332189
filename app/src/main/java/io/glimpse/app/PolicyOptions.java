package io.glimpse.app;

import io.glimpse.proto.v1.Generation;
import io.glimpse.proto.v1.Pruning;
import io.glimpse.proto.v1.TokenPolicy;
import io.glimpse.proto.v1.Tokenization;
import picocli.CommandLine.Option;

/** Token policy and generation flags, shared by ask / eval / bench. */
final class PolicyOptions {
    @Option(names = "--mode", defaultValue = "FULL", description = "Tokenization: ${COMPLETION-CANDIDATES}.")
    Tokenization.Mode mode;

    @Option(names = "--tokens", defaultValue = "0", description = "POOLED: n*n tokens; FLEX_PREFIX: k registers.")
    int tokens;

    @Option(names = "--quality", defaultValue = "0.95", description = "ADAPTIVE quality target in (0, 1].")
    float quality;

    @Option(names = "--method", defaultValue = "NONE", description = "Pruning method: NONE, RANDOM, UNIFORM, ...")
    Pruning.Method method;

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

    TokenPolicy policy() {
        Tokenization.Builder t = Tokenization.newBuilder().setMode(mode).setTokens(tokens);
        if (mode == Tokenization.Mode.ADAPTIVE) {
            t.setQualityTarget(quality);
        }
        Pruning.Builder p = Pruning.newBuilder().setMethod(method).setSeed(pruneSeed);
        if (keep > 0) {
            p.setKeepTokens(keep);
        } else if (keepRatio > 0) {
            p.setKeepRatio(keepRatio);
        }
        return TokenPolicy.newBuilder().setTokenization(t).setPruning(p).build();
    }

    Generation generation() {
        return Generation.newBuilder().setMaxNewTokens(maxNewTokens).setTemperature(temperature).setTopP(topP)
                .setSeed(seed).build();
    }

    String describe() {
        String m = switch (mode) {
            case POOLED, FLEX_PREFIX -> mode + "(" + tokens + ")";
            case ADAPTIVE -> "ADAPTIVE(" + quality + ")";
            default -> "FULL";
        };
        String p = method == Pruning.Method.NONE || method == Pruning.Method.METHOD_UNSPECIFIED ? ""
                : " + " + method + (keep > 0 ? "(" + keep + ")" : keepRatio > 0 ? "(" + keepRatio + ")" : "");
        return m + p;
    }
}
