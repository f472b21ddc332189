package io.glimpse.pruner.select;

import io.glimpse.common.tokens.TokenSet;

import java.util.List;

/** Reduces one QuoTA unit to its share of the budget; adds the multiply-adds it spent to {@code flops[0]}. */
interface UnitShrinker {
    /** One output token: the input row whose position it takes, and its embedding. */
    record Piece(int row, float[] x) {
    }

    /** @param x the unit's embeddings, row-major; @param k its share, 1 &lt;= k &lt; the unit's token count */
    List<Piece> shrink(TokenSet t, QuotaAssignment.Unit unit, float[] x, int k, long[] flops);
}
