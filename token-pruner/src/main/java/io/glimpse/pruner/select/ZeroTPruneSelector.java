package io.glimpse.pruner.select;

import io.glimpse.common.methods.MethodDescriptor;
import io.glimpse.common.methods.PruningMethods;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.kernel.AttentionGraph;
import io.glimpse.kernel.ZeroTPrune;

/**
 * Zero-TPrune at the vision-to-language boundary (an adaptation: the paper prunes inside the ViT, which the
 * image-tokenizer's encoder reduction does): {@link ZeroTPrune} on the attention the tokenizer forwarded.
 */
public final class ZeroTPruneSelector implements TokenSelector {
    private static final MethodDescriptor D = PruningMethods.of(PruningMethod.ZERO_TPRUNE.name());

    @Override
    public Selection select(TokenSet tokens, int keep, PruningSpec spec, QueryContext query, int image) {
        ZeroTPrune.Result r = ZeroTPrune.select(AttentionGraph.of(tokens), keep, params(spec));
        return new Selection(r.kept(), r.scores(), r.flops());
    }

    static ZeroTPrune.Params params(PruningSpec spec) {
        return new ZeroTPrune.Params((int) spec.number(D.param("iterations")), spec.number(D.param("tolerance")),
                spec.number(D.param("v_min")), spec.number(D.param("v_max")), spec.number(D.param("s_share")),
                spec.choice(D.param("init")).equals("cls"), (int) spec.number(D.param("graph_top_m")));
    }
}
