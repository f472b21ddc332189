package io.glimpse.pruner.kernel;

import io.glimpse.common.cancel.Cancellation;

/**
 * CoreMatching's core neurons and token scores. Per token, its top {@code rho} fraction of positive
 * FFN activations; core neurons = the top {@code beta} fraction (by how many tokens have them in
 * that set) of the neurons any token has; a token's score = how many core neurons it activates.
 */
public final class CoreNeurons {
    private CoreNeurons() {
    }

    /** @param act row-major [tokens, f] FFN activations (input of the down projection) */
    public static boolean[] select(float[] act, int tokens, int f, double rho, double beta) {
        int[] freq = new int[f];
        int[] hist = new int[4096];
        for (int t = 0; t < tokens; t++) {
            if ((t & 15) == 0) {
                Cancellation.checkpoint();
            }
            int base = t * f;
            // one branch-free pass: histogram of sign + exponent + 3 mantissa bits; negatives land >= 2048
            java.util.Arrays.fill(hist, 0);
            int zeros = 0;
            for (int n = 0; n < f; n++) {
                float v = act[base + n];
                hist[Float.floatToRawIntBits(v) >>> 20]++;
                zeros += v == 0f ? 1 : 0;
            }
            int positive = -zeros;
            for (int b = 0; b < 2048; b++) {
                positive += hist[b];
            }
            if (positive <= 0) {
                continue;
            }
            int take = (int) Math.ceil(rho * positive);
            float threshold = kthLargest(act, base, f, take, hist);
            int greater = 0;
            for (int n = 0; n < f; n++) {
                int gt = act[base + n] > threshold ? 1 : 0;
                freq[n] += gt;
                greater += gt;
            }
            for (int n = 0, ties = take - greater; n < f && ties > 0; n++) {   // ties: lower neuron index first
                if (act[base + n] == threshold) {
                    freq[n]++;
                    ties--;
                }
            }
        }
        float[] score = new float[f];
        int seen = 0;
        for (int n = 0; n < f; n++) {
            score[n] = freq[n];
            seen += freq[n] > 0 ? 1 : 0;
        }
        int coreCount = (int) Math.ceil(beta * seen);
        boolean[] core = new boolean[f];
        int[] order = TopK.order(score);
        for (int i = 0; i < coreCount; i++) {
            core[order[i]] = true;
        }
        return core;
    }

    /**
     * The k-th largest (1-based) positive value of {@code a[from..from+len)}, given {@code hist}, the
     * histogram of its values' top 12 bits (sign, exponent, 3 mantissa bits). Positive floats order
     * like their bit patterns: the histogram finds the bucket holding the answer and only that
     * bucket's values are sorted.
     */
    static float kthLargest(float[] a, int from, int len, int k, int[] hist) {
        int bucket = 2047;
        int need = k;
        while (hist[bucket] < need) {
            need -= hist[bucket--];
        }
        float[] in = new float[hist[bucket]];
        int m = 0;
        for (int i = from; i < from + len; i++) {
            if (Float.floatToRawIntBits(a[i]) >>> 20 == bucket) {
                in[m++] = a[i];
            }
        }
        java.util.Arrays.sort(in, 0, m);
        return in[m - need];
    }

    /** Score of each given token row: its positive activations that are core neurons. */
    public static float[] tokenScores(float[] act, int[] rows, int f, boolean[] core) {
        int[] coreIdx = new int[f];
        int nc = 0;
        for (int n = 0; n < f; n++) {
            if (core[n]) {
                coreIdx[nc++] = n;
            }
        }
        float[] out = new float[rows.length];
        for (int i = 0; i < rows.length; i++) {
            int base = rows[i] * f;
            int c = 0;
            for (int j = 0; j < nc; j++) {
                c += act[base + coreIdx[j]] > 0f ? 1 : 0;
            }
            out[i] = c;
        }
        return out;
    }
}
