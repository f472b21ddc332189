package io.glimpse.pruner.select;

import io.glimpse.common.tokens.TokenSet;
import io.glimpse.kernel.Rows;
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
        float[] words = query.model().embedText(text, "QUOTA scorer=similarity");
        float[] q = new float[h];
        for (int i = 0; i < words.length; i++) {
            q[i % h] += words[i];
        }
        float[] qu = Rows.normalized(q, 1, h);
        for (int u = 0; u < units.size(); u++) {
            QuotaAssignment.Unit unit = units.get(u);
            TokenSet t = images.get(unit.image());
            float[] x = Rows.normalized(t.embeddings().selectRows(unit.rows()).data(), unit.rows().length, h);
            float best = -1f;
            for (int i = 0; i < unit.rows().length; i++) {
                best = Math.max(best, Rows.dot(x, i * h, qu, 0, h));
            }
            s[u] = (best + 1f) / 2f;
            flops[0] += (long) unit.rows().length * h;
        }
        return s;
    }
}
