package io.glimpse.kernel;

/**
 * Zero-TPrune's head filter and aggregation: keep heads whose scores, rescaled to mean 1, have a
 * variance in [vMin, vMax] (all heads when none qualifies), then {@code sqrt(mean_h s_h^2)}, which
 * favours tokens that a few heads rate highly.
 */
public final class HeadAggregation {
    private final double vMin;
    private final double vMax;

    public HeadAggregation(double vMin, double vMax) {
        this.vMin = vMin;
        this.vMax = vMax;
    }

    /** @param perHead scores [heads][n]; @param from first index that counts (1 skips CLS) */
    public float[] aggregate(float[][] perHead, int from) {
        int heads = perHead.length;
        int n = perHead[0].length;
        boolean[] use = new boolean[heads];
        int used = 0;
        for (int h = 0; h < heads; h++) {
            double v = rescaledVariance(perHead[h], from);
            use[h] = v >= vMin && v <= vMax;
            used += use[h] ? 1 : 0;
        }
        if (used == 0) {
            java.util.Arrays.fill(use, true);
            used = heads;
        }
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            double acc = 0;
            for (int h = 0; h < heads; h++) {
                if (use[h]) {
                    acc += (double) perHead[h][i] * perHead[h][i];
                }
            }
            out[i] = (float) Math.sqrt(acc / used);
        }
        return out;
    }

    static double rescaledVariance(float[] s, int from) {
        int m = s.length - from;
        double mean = 0;
        for (int i = from; i < s.length; i++) {
            mean += s[i];
        }
        mean /= m;
        if (mean <= 0) {
            return 0;
        }
        double var = 0;
        for (int i = from; i < s.length; i++) {
            double r = s[i] / mean - 1;
            var += r * r;
        }
        return var / m;
    }
}
