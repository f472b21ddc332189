package io.glimpse.pruner.kernel;

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

    /**
     * @param a    row-major [n, n] attention starting at {@code offset}
     * @param init starting distribution (copied), e.g. uniform 1/n
     */
    public Result run(float[] a, int offset, int n, float[] init) {
        float[] s = init.clone();
        float[] t = new float[n];
        int it = 0;
        while (it < maxIterations) {
            java.util.Arrays.fill(t, 0f);
            for (int i = 0; i < n; i++) {
                float si = s[i];
                int row = offset + i * n;
                for (int j = 0; j < n; j++) {     // axpy over a row: vectorises, reads A once
                    t[j] += a[row + j] * si;
                }
            }
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
