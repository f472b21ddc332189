package io.glimpse.kernel;

import io.glimpse.common.cancel.Cancellation;

/**
 * Zero-TPrune's Weighted PageRank on one head's attention graph: {@code s <- A^T s}, rows of A
 * (queries) summing to 1, so a token is important when important tokens attend to it.
 */
public final class WeightedPageRank {
    private final int maxIterations;
    private final double tolerance;

    public WeightedPageRank(int maxIterations, double tolerance) {
        this.maxIterations = maxIterations;
        this.tolerance = tolerance;
    }

    /** Scores and the iterations actually run. */
    public record Result(float[] scores, int iterations) {
    }

    /** WPR on attention rows [n][n] (query i's row sums to 1) from {@code init} (copied). */
    public Result run(float[][] rows, float[] init) {
        return iterate(init, (s, t) -> Rows.accumulate(t, s, rows));
    }

    /**
     * WPR on a row-major [n, n] block of a larger array, each row divided by its sum as it is read (rows a
     * pruning step cut no longer sum to 1; a zero row contributes nothing): for the one-iteration ranking
     * pass over the full graph, where materialising a normalised copy would cost more than the pass.
     * Row by row, the same fma chain per column as {@link Rows#accumulate}.
     */
    public Result run(float[] a, int offset, int n, float[] init) {
        // without the Vector API each row goes through a buffer indexed from 0 (HotSpot vectorises that
        // axpy, not one at an offset); the Vector API reads it in place
        float[] row = VectorApi.AVAILABLE ? null : new float[n];
        return iterate(init, (s, t) -> {
            for (int i = 0; i < n; i++) {
                int from = offset + i * n;
                float sum = Rows.sum(a, from, n);
                if (sum > 0) {
                    if (row == null) {
                        Rows.fmaAxpy(t, s[i] / sum, a, from, n);
                    } else {
                        System.arraycopy(a, from, row, 0, n);
                        Rows.fmaAxpy(t, s[i] / sum, row, 0, n);
                    }
                }
            }
        });
    }

    private interface Step {
        void apply(float[] s, float[] t);
    }

    private Result iterate(float[] init, Step step) {
        int n = init.length;
        float[] s = init.clone();
        float[] t = new float[n];
        int it = 0;
        while (it < maxIterations) {
            Cancellation.checkpoint();
            java.util.Arrays.fill(t, 0f);
            step.apply(s, t);
            it++;
            double delta = 0;
            for (int j = 0; j < n; j++) {
                delta += Math.abs(t[j] - s[j]);
            }
            float[] swap = s;
            s = t;
            t = swap;
            if (delta < tolerance) {
                break;
            }
        }
        return new Result(s, it);
    }

    public static float[] uniform(int n) {
        float[] s = new float[n];
        java.util.Arrays.fill(s, 1f / n);
        return s;
    }

    /** The paper's variant: CLS (index 0) starts at sqrt(n) times the others, then renormalised. */
    public static float[] clsWeighted(int n) {
        float[] s = new float[n];
        java.util.Arrays.fill(s, 1f);
        s[0] = (float) Math.sqrt(n);
        float sum = 0f;
        for (float v : s) {
            sum += v;
        }
        for (int i = 0; i < n; i++) {
            s[i] /= sum;
        }
        return s;
    }
}
