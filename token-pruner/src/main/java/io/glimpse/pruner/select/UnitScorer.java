package io.glimpse.pruner.select;

import io.glimpse.common.tokens.TokenSet;

import java.util.List;
import java.util.Map;

/** How relevant each QuoTA unit is to the question, in [0, 1]; adds the multiply-adds it spent to {@code flops[0]}. */
interface UnitScorer {
    Map<String, UnitScorer> ALL = Map.of("vlm", new VlmUnitScorer(), "attention", new AttentionUnitScorer(),
            "similarity", new SimilarityUnitScorer(),
            // the query-blind baseline (QuoTA's ablation): every unit the same share, shrunk the same way
            "uniform", (units, images, query, flops) -> {
                float[] s = new float[units.size()];
                java.util.Arrays.fill(s, 1f);
                return s;
            });

    float[] score(List<QuotaAssignment.Unit> units, List<TokenSet> images, QueryContext query, long[] flops);
}
