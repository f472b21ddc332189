package io.glimpse.pruner.kernel;

import io.glimpse.common.cancel.Cancellation;

/**
 * All-pairs dot products of n rows, each pair computed once: rows are taken against column blocks
 * of {@link #BLOCK} tokens at or after their own, as axpys over the block (the loop shape HotSpot
 * vectorises). Every dot is summed over the dimensions in order, exactly as
 * {@link Rows#dotsWith} sums it, so either way gives the same bits — and so does the mirrored pair.
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
        int blocks = (n + BLOCK - 1) / BLOCK;
        // blocks[b][k] = dimension k of the block's tokens (zero past n)
        float[][][] cols = new float[blocks][d][BLOCK];
        for (int i = 0; i < n; i++) {
            float[][] c = cols[i / BLOCK];
            int t = i % BLOCK;
            for (int k = 0; k < d; k++) {
                c[k][t] = x[i * d + k];
            }
        }
        float[] max = new float[n];
        java.util.Arrays.fill(max, Float.NEGATIVE_INFINITY);
        float[] y = new float[BLOCK];
        for (int i = 0; i < n; i++) {
            if ((i & 63) == 0) {
                Cancellation.checkpoint();
            }
            for (int b = i / BLOCK; b < blocks; b++) {
                java.util.Arrays.fill(y, 0f);
                float[][] c = cols[b];
                for (int k = 0; k < d; k++) {
                    Rows.axpy(y, x[i * d + k], c[k]);
                }
                int from = b * BLOCK;
                for (int t = Math.max(0, i - from); t < BLOCK && from + t < n; t++) {
                    int j = from + t;
                    float v = y[t];
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
        return max;
    }
}
