package io.glimpse.pruner.select;

import io.glimpse.common.methods.MethodDescriptor;
import io.glimpse.common.methods.PruningMethods;

import io.glimpse.common.tokens.TokenSet;
import io.glimpse.lm.CoreNeurons;
import io.glimpse.kernel.ElbowThreshold;
import io.glimpse.kernel.TopK;
import io.glimpse.pruner.query.ProbedPrompt;


/**
 * CoreMatching (the paper, not the released simulation): FFN activations of the probe layer over
 * the whole prompt, core neurons by the rho/beta rule across all prompt tokens, each visual token
 * scored by the core neurons it activates; keep the top k, or without a budget the elbow's count.
 */
public final class CoreMatchingSelector implements TokenSelector {
    private static final MethodDescriptor D = PruningMethods.of(PruningMethod.CORE_MATCHING.name());

    @Override
    public boolean decidesCount() {
        return true;
    }

    @Override
    public Selection select(TokenSet tokens, int keep, PruningSpec spec, QueryContext query, int image) {
        double rho = spec.number(D.param("rho"));
        double beta = spec.number(D.param("beta"));
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
