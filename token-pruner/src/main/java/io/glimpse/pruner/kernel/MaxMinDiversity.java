package io.glimpse.pruner.kernel;

/**
 * DivPrune's greedy max-min diversity on {@code 1 - cos}: start from the most isolated token (largest
 * distance to its nearest neighbour, as the reference code does), then repeatedly add the token
 * farthest from everything kept so far. A running minimum makes each step O(N d).
 */
public final class MaxMinDiversity {
    private MaxMinDiversity() {
    }

    /**
     * @param picked  indices in the order chosen
     * @param scores  per token: its distance to the kept set when it was picked (kept tokens) or at
     *                the end (dropped tokens)
     */
    public record Result(int[] picked, float[] scores, long flops) {
    }

    public static Result select(float[] x, int n, int d, int k) {
        float[] u = Rows.normalized(x, n, d);
        int first = 0;
        float firstV = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            float nearest = Float.POSITIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                if (j != i) {
                    nearest = Math.min(nearest, 1f - Rows.dot(u, i * d, u, j * d, d));
                }
            }
            if (nearest > firstV) {
                firstV = nearest;
                first = i;
            }
        }
        long flops = (long) n * (n - 1) * d;
        float[] minDist = new float[n];
        boolean[] taken = new boolean[n];
        float[] scores = new float[n];
        int[] picked = new int[k];
        java.util.Arrays.fill(minDist, Float.POSITIVE_INFINITY);
        int next = first;
        float nextV = firstV;
        for (int p = 0; p < k; p++) {
            picked[p] = next;
            taken[next] = true;
            scores[next] = nextV;
            int pd = next * d;
            for (int j = 0; j < n; j++) {
                if (!taken[j]) {
                    minDist[j] = Math.min(minDist[j], 1f - Rows.dot(u, pd, u, j * d, d));
                }
            }
            flops += (long) n * d;
            next = -1;
            nextV = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                if (!taken[j] && minDist[j] > nextV) {
                    nextV = minDist[j];
                    next = j;
                }
            }
            if (next < 0) {
                break;
            }
        }
        for (int j = 0; j < n; j++) {
            if (!taken[j]) {
                scores[j] = minDist[j];
            }
        }
        return new Result(picked, scores, flops);
    }
}
