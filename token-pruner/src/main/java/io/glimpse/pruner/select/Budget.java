package io.glimpse.pruner.select;

import io.glimpse.common.error.GlimpseException;

/** Tokens to keep per image from keep_tokens / keep_ratio, per image or global across images. */
public final class Budget {
    private Budget() {
    }

    public static int[] perImage(int[] counts, PruningSpec spec) {
        if (spec.keepTokens() < 0) {
            throw GlimpseException.invalid("keep_tokens must be positive, got " + spec.keepTokens());
        }
        if (spec.keepRatio() != 0f && !(spec.keepRatio() > 0f && spec.keepRatio() <= 1f)) {
            throw GlimpseException.invalid("keep_ratio must be in (0, 1], got " + spec.keepRatio());
        }
        if (spec.keepTokens() > 0 && spec.keepRatio() > 0f) {
            throw GlimpseException.invalid("set keep_tokens or keep_ratio, not both");
        }
        int[] out = new int[counts.length];
        if (spec.globalBudget()) {
            long sum = java.util.Arrays.stream(counts).asLongStream().sum();
            if (spec.keepTokens() <= 0 && spec.keepRatio() <= 0f) {
                throw GlimpseException.invalid("global_budget needs keep_tokens (the total over all images) or keep_ratio"
                        + " (a share of all images' tokens)");
            }
            // a ratio is a share of the request's tokens: clips of different lengths get the same share
            int total = spec.keepTokens() > 0 ? spec.keepTokens() : (int) Math.max(1, Math.round(spec.keepRatio() * sum));
            return proportional(counts, total);
        }
        for (int i = 0; i < counts.length; i++) {
            if (spec.keepTokens() > 0) {
                out[i] = Math.min(spec.keepTokens(), counts[i]);
            } else if (spec.keepRatio() > 0f) {
                out[i] = Math.max(1, Math.min(counts[i], Math.round(spec.keepRatio() * counts[i])));
            } else {
                out[i] = counts[i];
            }
        }
        return out;
    }

    /** Largest-remainder split of {@code total} in proportion to counts, each image at least 1 token. */
    static int[] proportional(int[] counts, int total) {
        long sum = 0;
        for (int c : counts) {
            sum += c;
        }
        int[] out = new int[counts.length];
        if (total >= sum) {
            return counts.clone();
        }
        int budget = Math.max(total, counts.length);
        double[] rem = new double[counts.length];
        int used = 0;
        for (int i = 0; i < counts.length; i++) {
            double exact = (double) budget * counts[i] / sum;
            out[i] = Math.max(1, (int) Math.floor(exact));
            rem[i] = exact - Math.floor(exact);
            used += out[i];
        }
        while (used < budget) {
            int best = -1;
            for (int i = 0; i < counts.length; i++) {
                if (out[i] < counts[i] && (best < 0 || rem[i] > rem[best])) {
                    best = i;
                }
            }
            if (best < 0) {
                break;
            }
            out[best]++;
            rem[best] = -1;
            used++;
        }
        return out;
    }
}
