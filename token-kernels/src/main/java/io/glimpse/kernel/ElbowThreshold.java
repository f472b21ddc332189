package io.glimpse.kernel;

/**
 * CoreMatching's adaptive cut: sort scores descending, draw the line from the first to the last
 * point, take the point farthest from it, keep the tokens scoring strictly above that point.
 */
public final class ElbowThreshold {
    private ElbowThreshold() {
    }

    /** How many tokens the elbow keeps (at least one). */
    public static int keepCount(float[] scores) {
        int n = scores.length;
        if (n <= 2) {
            return n;
        }
        float[] s = scores.clone();
        java.util.Arrays.sort(s);
        for (int i = 0; i < n / 2; i++) {
            float t = s[i];
            s[i] = s[n - 1 - i];
            s[n - 1 - i] = t;
        }
        double x1 = n - 1;
        double dy = s[n - 1] - s[0];
        double len = Math.hypot(x1, dy);
        int elbow = 0;
        double best = -1;
        for (int i = 0; i < n; i++) {
            // distance of (i, s[i]) from the line through (0, s0) and (n-1, s_last)
            double dist = Math.abs(dy * i - x1 * (s[i] - s[0])) / len;
            if (dist > best) {
                best = dist;
                elbow = i;
            }
        }
        int keep = 0;
        for (float v : scores) {
            keep += v > s[elbow] ? 1 : 0;
        }
        return Math.max(1, keep);
    }
}
