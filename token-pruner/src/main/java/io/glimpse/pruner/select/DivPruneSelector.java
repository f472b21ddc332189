package io.glimpse.pruner.select;

import io.glimpse.common.methods.MethodDescriptor;
import io.glimpse.common.methods.PruningMethods;

import io.glimpse.common.tokens.TokenSet;
import io.glimpse.kernel.MaxMinDiversity;

import java.util.Arrays;

/**
 * DivPrune: the most diverse subset of the LM-space visual embeddings (greedy max-min on 1 - cos).
 * {@code first=isolated} (default) starts as the released code does; {@code first=mean} starts
 * from the token farthest from the mean direction and avoids the O(N^2 d) all-pairs pass.
 */
public final class DivPruneSelector implements TokenSelector {
    private static final MethodDescriptor D = PruningMethods.of(PruningMethod.DIVPRUNE.name());

    @Override
    public Selection select(TokenSet tokens, int keep, PruningSpec spec, QueryContext query, int image) {
        MaxMinDiversity.First first = MaxMinDiversity.First.valueOf(
                spec.choice(D.param("first")).toUpperCase(java.util.Locale.ROOT));
        MaxMinDiversity.Result r = MaxMinDiversity.select(tokens.embeddings().data(), tokens.count(), tokens.hidden(),
                keep, first);
        int[] kept = r.picked().clone();
        Arrays.sort(kept);
        return new Selection(kept, r.scores(), r.flops());
    }
}
