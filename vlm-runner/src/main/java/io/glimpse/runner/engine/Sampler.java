package io.glimpse.runner.engine;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Next-token choice: greedy (temperature 0; ties go to the lower id) or temperature with nucleus
 * (top-p) sampling from a seeded stream, so a seed reproduces the text.
 */
public final class Sampler {
    private final float temperature;
    private final float topP;
    private final SplittableRandom random;

    public Sampler(float temperature, float topP, long seed) {
        this.temperature = temperature;
        this.topP = topP <= 0f || topP > 1f ? 1f : topP;
        this.random = new SplittableRandom(seed);
    }

    public int next(float[] logits, int offset, int vocab) {
        if (temperature <= 0f) {
            return argmax(logits, offset, vocab);
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[offset + i]);
        }
        double[] p = new double[vocab];
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            p[i] = Math.exp((logits[offset + i] - max) / temperature);
            sum += p[i];
        }
        Integer[] order = new Integer[vocab];
        for (int i = 0; i < vocab; i++) {
            order[i] = i;
            p[i] /= sum;
        }
        Arrays.sort(order, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        int keep = 0;
        double mass = 0;
        while (keep < vocab && (keep == 0 || mass < topP)) {
            mass += p[order[keep++]];
        }
        double u = random.nextDouble() * mass;
        double acc = 0;
        for (int i = 0; i < keep; i++) {
            acc += p[order[i]];
            if (u < acc) {
                return order[i];
            }
        }
        return order[keep - 1];
    }

    static int argmax(float[] logits, int offset, int vocab) {
        int best = 0;
        for (int i = 1; i < vocab; i++) {
            if (logits[offset + i] > logits[offset + best]) {
                best = i;
            }
        }
        return best;
    }
}
