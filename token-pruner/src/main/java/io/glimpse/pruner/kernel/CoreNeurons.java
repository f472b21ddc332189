package io.glimpse.pruner.kernel;

import java.util.Arrays;

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
        float[] row = new float[f];
        for (int t = 0; t < tokens; t++) {
            int positive = 0;
            for (int n = 0; n < f; n++) {
                if (act[t * f + n] > 0f) {
                    row[positive++] = act[t * f + n];
                }
            }
            if (positive == 0) {
                continue;
            }
            int take = (int) Math.ceil(rho * positive);
            float[] pos = Arrays.copyOf(row, positive);
            Arrays.sort(pos);
            float threshold = pos[positive - take];
            int counted = 0;
            for (int n = 0; n < f && counted < take; n++) {   // ties: lower neuron index first
                if (act[t * f + n] >= threshold && act[t * f + n] > 0f) {
                    freq[n]++;
                    counted++;
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

    /** Score of each given token row: its positive activations that are core neurons. */
    public static float[] tokenScores(float[] act, int[] rows, int f, boolean[] core) {
        float[] out = new float[rows.length];
        for (int i = 0; i < rows.length; i++) {
            int base = rows[i] * f;
            int c = 0;
            for (int n = 0; n < f; n++) {
                if (core[n] && act[base + n] > 0f) {
                    c++;
                }
            }
            out[i] = c;
        }
        return out;
    }
}
