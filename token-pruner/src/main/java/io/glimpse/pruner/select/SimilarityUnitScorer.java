package io.glimpse.pruner.select;

import io.glimpse.common.tokens.TokenSet;
import io.glimpse.kernel.QueryRelevance;
import io.glimpse.pruner.query.QueryDecoupler;

import java.util.List;

/** Relevance = the best cosine between the unit's tokens and the entity words (or the question), mapped to [0, 1]. */
final class SimilarityUnitScorer implements UnitScorer {
    @Override
    public float[] score(List<QuotaAssignment.Unit> units, List<TokenSet> images, QueryContext query, long[] flops) {
        float[] s = new float[units.size()];
        var cfg = query.model().config("QUOTA scorer=similarity");
        String text = QueryDecoupler.of(cfg).map(d -> String.join(" ", d.entities(query.question()).values()))
                .filter(x -> !x.isBlank()).orElse(query.question());
        int h = cfg.hiddenSize();
        float[] q = QueryRelevance.queryVector(query.model().embedText(text, "QUOTA scorer=similarity"), h);
        for (int u = 0; u < units.size(); u++) {
            QuotaAssignment.Unit unit = units.get(u);
            s[u] = QueryRelevance.of(images.get(unit.image()).embeddings().data(), h, unit.rows(), q);
            flops[0] += (long) unit.rows().length * h;
        }
        return s;
    }
}
