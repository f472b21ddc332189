package io.glimpse.kernel;

import io.glimpse.common.cancel.Cancellation;

/**
 * DivPrune's greedy max-min diversity on {@code 1 - cos}: start from one token (see {@link First}),
 * then repeatedly add the token farthest from everything kept so far. A running minimum makes each
 * step O(N d).
 */
public final class MaxMinDiversity {
    /** Up to this many tokens the first pick keeps its all-pairs dots (4 MiB) for the greedy steps. */
    static final int GRAM_MAX_TOKENS = 1024;

    private MaxMinDiversity() {
    }

    /**
     * @param picked  indices in the order chosen
     * @param scores  per token: its distance to the kept set when it was picked (kept tokens) or at
     *                the end (dropped tokens)
     */
    public record Result(int[] picked, float[] scores, long flops) {
    }

    /** How the first token is chosen. */
    public enum First {
        /** The most isolated token (largest distance to its nearest neighbour), as DivPrune's code: O(N^2 d). */
        ISOLATED,
        /** The token farthest from the mean direction: O(N d), keeps the whole selection O(k N d). */
        MEAN
    }

    public static Result select(float[] x, int n, int d, int k, First firstRule) {
        float[] u = Rows.normalized(x, n, d);
        boolean keepGram = firstRule == First.ISOLATED && n <= GRAM_MAX_TOKENS;
        float[][] cols = keepGram ? null : Rows.columns(u, n, d);
        float[] dots = new float[n];
        long flops = 0;
        int first = 0;
        float firstV = Float.NEGATIVE_INFINITY;
        float[][] gram = null;
        if (firstRule == First.ISOLATED) {
            gram = keepGram ? new float[n][n] : null;
            float[] nearestDot = SymmetricGram.rowMaxima(u, n, d, gram);
            for (int i = 0; i < n; i++) {
                // 1 - x is monotone in float, so this is the smallest distance to another token
                float nearest = 1f - nearestDot[i];
                if (nearest > firstV) {
                    firstV = nearest;
                    first = i;
                }
            }
            flops += (long) n * (n + 1) / 2 * d;
        } else {
            float[] mean = new float[d];
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < d; c++) {
                    mean[c] += u[i * d + c];
                }
            }
            Rows.dotsWith(cols, Rows.normalized(mean, 1, d), 0, dots);
            for (int j = 0; j < n; j++) {
                if (1f - dots[j] > firstV) {
                    firstV = 1f - dots[j];
                    first = j;
                }
            }
            flops += 2L * n * d;
        }
        float[] minDist = new float[n];
        boolean[] taken = new boolean[n];
        float[] scores = new float[n];
        int[] picked = new int[k];
        java.util.Arrays.fill(minDist, Float.POSITIVE_INFINITY);
        int next = first;
        float nextV = firstV;
        for (int p = 0; p < k; p++) {
            Cancellation.checkpoint();
            picked[p] = next;
            taken[next] = true;
            scores[next] = nextV;
            if (gram != null) {
                dots = gram[next];   // the same dots, computed once for the first pick
            } else {
                Rows.dotsWith(cols, u, next * d, dots);
                flops += (long) n * d;
            }
            next = -1;
            nextV = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                if (!taken[j]) {
                    minDist[j] = Math.min(minDist[j], 1f - dots[j]);
                    if (minDist[j] > nextV) {
                        nextV = minDist[j];
                        next = j;
                    }
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
