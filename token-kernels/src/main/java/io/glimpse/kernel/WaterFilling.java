package io.glimpse.kernel;

/**
 * QuoTA's budget assignment: unit i gets {@code total * w_i / sum w} tokens, at least {@code min_i}
 * and at most {@code cap_i}; what a capped unit cannot take is poured into the others, integer
 * parts by largest remainder (ties to the lower index), so the result sums exactly to
 * {@code min(total, sum cap)}. Units of zero weight get only their minimum unless every weighted
 * unit is full.
 */
public final class WaterFilling {
    private WaterFilling() {
    }

    public static int[] assign(double[] weights, int[] min, int[] cap, int total) {
        int u = weights.length;
        int[] out = new int[u];
        long capSum = 0;
        int minSum = 0;
        for (int i = 0; i < u; i++) {
            if (min[i] > cap[i] || min[i] < 0) {
                throw new IllegalArgumentException("unit " + i + ": minimum " + min[i] + " outside [0, " + cap[i] + "]");
            }
            out[i] = min[i];
            minSum += min[i];
            capSum += cap[i];
        }
        if (minSum > total) {
            throw new IllegalArgumentException("the per-unit minimums need " + minSum + " tokens but the budget is " + total);
        }
        int target = (int) Math.min(total, capSum);
        pour(weights, cap, out, target, true);
        pour(weights, cap, out, target, false);
        return out;
    }

    /** Distributes what is left over the non-full units, by weight (or evenly for zero-weight units). */
    private static void pour(double[] weights, int[] cap, int[] out, int target, boolean weighted) {
        int u = out.length;
        while (true) {
            int left = target - sum(out);
            double wsum = 0;
            for (int i = 0; i < u; i++) {
                if (open(i, weights, cap, out, weighted)) {
                    wsum += weighted ? weights[i] : 1.0;
                }
            }
            if (left <= 0 || wsum <= 0) {
                return;
            }
            double[] share = new double[u];
            boolean capped = false;
            for (int i = 0; i < u; i++) {
                if (open(i, weights, cap, out, weighted)) {
                    share[i] = left * (weighted ? weights[i] : 1.0) / wsum;
                    if (out[i] + share[i] >= cap[i]) {
                        out[i] = cap[i];      // full: its excess goes round again
                        capped = true;
                    }
                }
            }
            if (capped) {
                continue;
            }
            int given = 0;
            double[] rem = new double[u];
            for (int i = 0; i < u; i++) {
                if (open(i, weights, cap, out, weighted)) {
                    int whole = (int) Math.floor(share[i]);
                    rem[i] = share[i] - whole;
                    out[i] += whole;
                    given += whole;
                } else {
                    rem[i] = -1;
                }
            }
            for (int r = left - given; r > 0; r--) {
                int best = -1;
                for (int i = 0; i < u; i++) {
                    if (rem[i] >= 0 && out[i] < cap[i] && (best < 0 || rem[i] > rem[best])) {
                        best = i;
                    }
                }
                if (best < 0) {
                    break;
                }
                out[best]++;
                rem[best] = -1;
            }
        }
    }

    private static boolean open(int i, double[] w, int[] cap, int[] out, boolean weighted) {
        return out[i] < cap[i] && (!weighted || w[i] > 0);
    }

    private static int sum(int[] a) {
        int s = 0;
        for (int v : a) {
            s += v;
        }
        return s;
    }
}
