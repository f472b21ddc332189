package io.glimpse.pruner.select;

import io.glimpse.common.tokens.TokenSet;
import io.glimpse.kernel.GridResize;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The unit's grid resized to h x w with h * w &lt;= k: QuoTA's shape, h = w = floor(sqrt(k)), then the
 * height grows by one if it still fits, else the width (as the released code: 6 tokens give 3 x 2).
 * Bilinear (the paper's best) or adaptive average pooling.
 */
final class GridShrinker implements UnitShrinker {
    private final boolean bilinear;

    GridShrinker(boolean bilinear) {
        this.bilinear = bilinear;
    }

    /** {h, w} for a share of k tokens on a rows x cols grid. */
    static int[] shape(int k, int rows, int cols) {
        int side = Math.max(1, (int) Math.floor(Math.sqrt(k)));
        int h = Math.min(rows, side);
        int w = Math.min(cols, side);
        if ((h + 1) * w <= k && h + 1 <= rows) {
            h++;
        } else if (h * (w + 1) <= k && w + 1 <= cols) {
            w++;
        }
        return new int[]{h, w};
    }

    @Override
    public List<Piece> shrink(TokenSet t, QuotaAssignment.Unit unit, float[] x, int k, long[] flops) {
        int d = t.hidden();
        int[] hw = shape(k, unit.gridRows(), unit.gridCols());
        int h = hw[0];
        int w = hw[1];
        GridResize.Result r = bilinear ? GridResize.bilinear(x, unit.gridRows(), unit.gridCols(), d, h, w)
                : GridResize.adaptiveAverage(x, unit.gridRows(), unit.gridCols(), d, h, w);
        flops[0] += (long) h * w * d * 4;
        List<Piece> out = new ArrayList<>();
        for (int i = 0; i < h * w; i++) {
            out.add(new Piece(unit.rows()[r.nearest()[i]], Arrays.copyOfRange(r.x(), i * d, (i + 1) * d)));
        }
        return out;
    }
}
