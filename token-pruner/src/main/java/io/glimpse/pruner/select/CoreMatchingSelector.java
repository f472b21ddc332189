package io.glimpse.pruner.select;

import io.glimpse.common.tokens.TokenSet;
import io.glimpse.pruner.kernel.CoreNeurons;
import io.glimpse.pruner.kernel.ElbowThreshold;
import io.glimpse.pruner.kernel.TopK;
import io.glimpse.pruner.query.ProbedPrompt;

import java.util.Set;

/**
 * CoreMatching (the paper, not the released simulation): FFN activations of the probe layer over
 * the whole prompt, core neurons by the rho/beta rule across all prompt tokens, each visual token
 * scored by the core neurons it activates; keep the top k, or without a budget the elbow's count.
 */
public final class CoreMatchingSelector implements TokenSelector {
    @Override
    public Set<String> params() {
        return Set.of("rho", "beta");
    }

    @Override
    public boolean decidesCount() {
        return true;
    }

    @Override
    public Selection select(TokenSet tokens, int keep, PruningSpec spec, QueryContext query, int image) {
        double rho = spec.number("rho", 0.2, 1e-6, 1);
        double beta = spec.number("beta", 0.4, 1e-6, 1);
        ProbedPrompt p = query.probe("CORE_MATCHING");
        var ffn = p.output().ffn();
        int s = ffn.dim(0);
        int f = ffn.dim(1);
        boolean[] core = CoreNeurons.select(ffn.data(), s, f, rho, beta);
        float[] scores = CoreNeurons.tokenScores(ffn.data(), p.imageRows(image), f, core);
        int k = keep > 0 ? keep : ElbowThreshold.keepCount(scores);
        long flops = (image == 0 ? p.flops() : 0L) + (long) s * f * 2 + (long) scores.length * f;
        return new Selection(TopK.keepSorted(scores, k), scores, flops);
    }
}
