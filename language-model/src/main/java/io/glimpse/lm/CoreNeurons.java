package io.glimpse.lm;

import io.glimpse.common.cancel.Cancellation;

/**
 * CoreMatching's core neurons and token scores. Per token, its top {@code rho} fraction of positive
 * FFN activations; core neurons = the top {@code beta} fraction (by how many tokens have them in
 * that set) of the neurons any token has; a token's score = how many core neurons it activates.
 * Both halves of the method read them: the pruner keeps the tokens that activate them, the runner
 * restricts each layer's FFN to them for the decode steps.
 */
public final class CoreNeurons {
    private CoreNeurons() {
    }

    /** @param act row-major [tokens, f] FFN activations (input of the down projection) */
    public static boolean[] select(float[] act, int tokens, int f, double rho, double beta) {
        int[] freq = new int[f];
        int[] hist = new int[4096];
        long[] bucketed = new long[f];
        int[] sub = new int[256];
        for (int t = 0; t < tokens; t++) {
            if ((t & 15) == 0) {
                Cancellation.checkpoint();
            }
            int base = t * f;
            // pass 1, branch-free: histogram of sign + exponent + 3 mantissa bits (negatives land >= 2048)
            java.util.Arrays.fill(hist, 0);
            for (int n = 0; n < f; n++) {
                hist[Float.floatToRawIntBits(act[base + n]) >>> 20]++;
            }
            int positive = 0;
            for (int b = 1; b < 2048; b++) {
                positive += hist[b];
            }
            if (hist[0] > 0) {
                // bucket 0 holds +0 and positive subnormals: only the latter count
                for (int n = 0; n < f; n++) {
                    positive += act[base + n] > 0f && Float.floatToRawIntBits(act[base + n]) >>> 20 == 0 ? 1 : 0;
                }
            }
            if (positive <= 0) {
                continue;
            }
            int take = (int) Math.ceil(rho * positive);
            int bucket = 2047;
            int need = take;
            while (hist[bucket] < need) {
                need -= hist[bucket--];
            }
            // pass 2: every positive value in a higher bucket is taken; the threshold bucket's values are
            // collected and only they are ranked
            int m = 0;
            for (int n = 0; n < f; n++) {
                int bits = Float.floatToRawIntBits(act[base + n]);
                int key = bits >>> 20;
                freq[n] += ((bucket - key) >>> 31) & ((key - 2048) >>> 31);
                if (key == bucket) {
                    // larger value first, then lower neuron index (ties go to the lower index)
                    bucketed[m++] = ((long) (Integer.MAX_VALUE - bits) << 32) | n;
                }
            }
            if (bucket == 0) {
                m = dropNonPositive(act, base, bucketed, m);
            }
            takeTop(bucketed, m, need, freq, sub);
        }
        // neurons by frequency, then lower index first
        long[] byFrequency = new long[f];
        int seen = 0;
        for (int n = 0; n < f; n++) {
            if (freq[n] > 0) {
                byFrequency[seen++] = ((long) (Integer.MAX_VALUE - freq[n]) << 32) | n;
            }
        }
        java.util.Arrays.sort(byFrequency, 0, seen);
        int coreCount = (int) Math.ceil(beta * seen);
        boolean[] core = new boolean[f];
        for (int i = 0; i < coreCount; i++) {
            core[(int) byFrequency[i]] = true;
        }
        return core;
    }

    /**
     * Counts the {@code need} first of {@code m} collected entries in their order (larger value, then lower
     * index) without sorting them all: a second histogram over the next 8 mantissa bits finds the
     * sub-bucket the last one falls in, and only that sub-bucket (usually a handful) is sorted.
     */
    private static void takeTop(long[] entries, int m, int need, int[] freq, int[] sub) {
        if (need >= m) {
            for (int i = 0; i < m; i++) {
                freq[(int) entries[i]]++;
            }
            return;
        }
        java.util.Arrays.fill(sub, 0);
        for (int i = 0; i < m; i++) {
            sub[subKey(entries[i])]++;
        }
        int s = 255;
        while (sub[s] < need) {
            need -= sub[s--];
        }
        int k = 0;
        for (int i = 0; i < m; i++) {
            int key = subKey(entries[i]);
            if (key > s) {
                freq[(int) entries[i]]++;
            } else if (key == s) {
                entries[k++] = entries[i];   // k <= i: compacts in place
            }
        }
        java.util.Arrays.sort(entries, 0, k);
        for (int i = 0; i < need; i++) {
            freq[(int) entries[i]]++;
        }
    }

    /** Bits 12-19 of the value an entry carries (its key is {@code MAX_VALUE - bits} in the high word). */
    private static int subKey(long entry) {
        return ((Integer.MAX_VALUE - (int) (entry >>> 32)) >>> 12) & 0xFF;
    }

    /** Keeps the collected entries of bucket 0 whose value is positive (not +0). */
    private static int dropNonPositive(float[] act, int base, long[] bucketed, int m) {
        int k = 0;
        for (int i = 0; i < m; i++) {
            if (act[base + (int) bucketed[i]] > 0f) {
                bucketed[k++] = bucketed[i];
            }
        }
        return k;
    }

    /** The indices of the core neurons, ascending. */
    public static int[] indices(boolean[] core) {
        int count = 0;
        for (boolean c : core) {
            count += c ? 1 : 0;
        }
        int[] out = new int[count];
        for (int n = 0, i = 0; n < core.length; n++) {
            if (core[n]) {
                out[i++] = n;
            }
        }
        return out;
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
