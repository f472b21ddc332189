package io.glimpse.app;

import java.util.Arrays;

/** Nearest-rank percentiles of a sample. */
final class Percentiles {
    private final double[] sorted;

    Percentiles(double[] values) {
        this.sorted = values.clone();
        Arrays.sort(sorted);
    }

    double at(double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    double mean() {
        return Arrays.stream(sorted).average().orElse(Double.NaN);
    }
}
