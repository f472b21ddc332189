package io.glimpse.pruner.select;

import io.glimpse.common.tokens.TokenSet;
import io.glimpse.pruner.kernel.MaxMinDiversity;

import java.util.Arrays;

/** DivPrune: the most diverse subset of the LM-space visual embeddings (greedy max-min on 1 - cos). */
public final class DivPruneSelector implements TokenSelector {
    @Override
    public Selection select(TokenSet tokens, int keep, PruningSpec spec, QueryContext query, int image) {
        MaxMinDiversity.Result r = MaxMinDiversity.select(tokens.embeddings().data(), tokens.count(), tokens.hidden(), keep);
        int[] kept = r.picked().clone();
        Arrays.sort(kept);
        return new Selection(kept, r.scores(), r.flops());
    }
}
