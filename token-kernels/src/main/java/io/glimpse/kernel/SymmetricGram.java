package io.glimpse.kernel;

import io.glimpse.common.cancel.Cancellation;

/**
 * All-pairs dot products of n rows, each pair computed once, as a matrix product in tiles
 * ({@link GramTile}): the columns are split into blocks of {@link #BLOCK} tokens stored transposed,
 * and each block meets every group of six rows at or before its end. A block (768 KiB at d = 1024)
 * stays in the core's L2 while the row groups pass over it. Every dot is the fma chain over the
 * dimensions in order, whichever tile computes it, so the mirrored pair has the same bits.
 */
public final class SymmetricGram {
    static final int BLOCK = 192;

    private SymmetricGram() {
    }

    /**
     * For each row, the largest dot with any other row ({@code -inf} when there is none); when
     * {@code gram} is given ([n][n]) it receives every dot, both halves and the diagonal.
     */
    public static float[] rowMaxima(float[] x, int n, int d, float[][] gram) {
        return rowMaxima(x, n, d, gram, GramTile.best(BLOCK, d));
    }

    static float[] rowMaxima(float[] x, int n, int d, float[][] gram, GramTile tile) {
        int w = tile.width();
        int blocks = (n + BLOCK - 1) / BLOCK;
        float[] max = new float[n];
        java.util.Arrays.fill(max, Float.NEGATIVE_INFINITY);
        float[] out = new float[GramTile.ROWS * w];
        for (int b = 0; b < blocks; b++) {
            int from = b * BLOCK;
            int end = Math.min(n, from + BLOCK);
            tile.load(x, from, end);
            for (int i0 = 0; i0 < end; i0 += GramTile.ROWS) {
                Cancellation.checkpoint();
                int rows = Math.min(GramTile.ROWS, n - i0);
                for (int t = Math.max(0, i0 - from) / w * w; from + t < end; t += w) {
                    tile.dots(x, i0, rows, t, out);
                    for (int r = 0; r < rows; r++) {
                        int i = i0 + r;
                        for (int q = Math.max(0, i - from - t); q < w && from + t + q < end; q++) {
                            int j = from + t + q;
                            float v = out[r * w + q];
                            if (gram != null) {
                                gram[i][j] = v;
                                gram[j][i] = v;
                            }
                            if (j != i) {
                                max[i] = Math.max(max[i], v);
                                max[j] = Math.max(max[j], v);
                            }
                        }
                    }
                }
            }
        }
        return max;
    }
}
