package io.glimpse.pruner.select;

import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.kernel.AttentionGraph;
import io.glimpse.kernel.BipartiteSoftMatching;

/**
 * ToMe: merge by bipartite soft matching on the head-mean keys (the embeddings when the set has
 * no keys) until {@code keep} tokens remain. A merged token keeps the position of the token it
 * merged into; its score per input token is the size of the group the token ended in.
 */
public final class TomeSelector implements TokenSelector {
    @Override
    public Selection select(TokenSet tokens, int keep, PruningSpec spec, QueryContext query, int image) {
        int n = tokens.count();
        int d = tokens.hidden();
        AttentionGraph.KeyMetric metric = AttentionGraph.KeyMetric.of(tokens);
        BipartiteSoftMatching.Result r = BipartiteSoftMatching.merge(tokens.embeddings().data(), n, d, metric.rows(),
                metric.dim(), keep);
        float[] scores = new float[n];
        for (int i = 0; i < n; i++) {
            scores[i] = r.sizes()[r.group()[i]];
        }
        return new Selection(r.rows(), scores, FloatTensor.of(r.x(), r.rows().length, d), r.flops());
    }
}
