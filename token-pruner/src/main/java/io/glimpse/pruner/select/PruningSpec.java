package io.glimpse.pruner.select;

import java.util.Map;

/**
 * A request's pruning: {@code keepTokens} (> 0) or {@code keepRatio} (in (0, 1]) per image, or
 * neither (keep all); with {@code globalBudget}, keepTokens is a total over all images.
 */
public record PruningSpec(PruningMethod method, int keepTokens, float keepRatio, boolean globalBudget, long seed,
                          Map<String, String> params) {
    public static PruningSpec none() {
        return new PruningSpec(PruningMethod.NONE, 0, 0f, false, 0L, Map.of());
    }
}
