package io.glimpse.pruner.select;

import io.glimpse.common.tokens.TokenSet;
import io.glimpse.kernel.TopK;
import io.glimpse.pruner.query.ProbedPrompt;

/**
 * FastV: the attention the prompt's last token pays each visual token at the probe layer (the
 * bundle's lm_probe, layer K = probe layers), head mean; keep the most attended. Survivors keep
 * their original positions. Unlike FastV inside one model, the pruned set feeds a full prefill.
 */
public final class FastVSelector implements TokenSelector {
    @Override
    public Selection select(TokenSet tokens, int keep, PruningSpec spec, QueryContext query, int image) {
        ProbedPrompt p = query.probe("FASTV");
        float[] scores = p.meanAttention(new int[]{p.lastRow()}, p.imageRows(image));
        long flops = image == 0 ? p.flops() : 0L;
        return new Selection(TopK.keepSorted(scores, keep), scores, flops);
    }
}
