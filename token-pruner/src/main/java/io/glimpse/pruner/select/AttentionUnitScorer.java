package io.glimpse.pruner.select;

import io.glimpse.common.tokens.TokenSet;
import io.glimpse.pruner.query.ProbedPrompt;

import java.util.List;

/** Relevance = the question tokens' mean attention to the unit's tokens at the probe layer, normalised by the best unit. */
final class AttentionUnitScorer implements UnitScorer {
    @Override
    public float[] score(List<QuotaAssignment.Unit> units, List<TokenSet> images, QueryContext query, long[] flops) {
        float[] s = new float[units.size()];
        ProbedPrompt p = query.probe("QUOTA scorer=attention");
        flops[0] += p.flops();
        int[] q = p.questionRows();
        float max = 0f;
        for (int u = 0; u < units.size(); u++) {
            QuotaAssignment.Unit unit = units.get(u);
            int[] all = p.imageRows(unit.image());
            int[] rows = new int[unit.rows().length];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = all[unit.rows()[i]];
            }
            for (float a : p.meanAttention(q, rows)) {
                s[u] += a;
            }
            max = Math.max(max, s[u]);
        }
        for (int u = 0; u < s.length && max > 0; u++) {
            s[u] /= max;
        }
        return s;
    }
}
