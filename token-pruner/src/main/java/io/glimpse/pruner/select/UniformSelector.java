package io.glimpse.pruner.select;

import io.glimpse.common.tokens.TokenSet;

/** Evenly strided subset: token floor((i + 1/2) * n / keep) for i < keep, covering the span from end to end. */
public final class UniformSelector implements TokenSelector {
    @Override
    public Selection select(TokenSet tokens, int keep, PruningSpec spec, QueryContext query, int imageIndex) {
        int n = tokens.count();
        int[] kept = new int[keep];
        for (int i = 0; i < keep; i++) {
            kept[i] = (int) Math.floor((i + 0.5) * n / keep);
        }
        return new Selection(kept, SelectionScores.indicator(n, kept));
    }
}
