package io.glimpse.pruner.select;

import io.glimpse.common.tokens.TokenSet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Ordered tokens without a grid (FlexTok registers): the first k by position, the coarse description. */
final class PrefixShrinker implements UnitShrinker {
    @Override
    public List<Piece> shrink(TokenSet t, QuotaAssignment.Unit unit, float[] x, int k, long[] flops) {
        int d = t.hidden();
        int[] order = unit.rows();
        Integer[] byOrigin = new Integer[order.length];
        for (int i = 0; i < order.length; i++) {
            byOrigin[i] = i;
        }
        Arrays.sort(byOrigin, (p, q) -> Integer.compare(t.origin()[order[p]], t.origin()[order[q]]));
        List<Piece> out = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            int local = byOrigin[i];
            out.add(new Piece(order[local], Arrays.copyOfRange(x, local * d, (local + 1) * d)));
        }
        return out;
    }
}
