package io.glimpse.pruner.kernel;

import io.glimpse.common.tensor.FloatTensor;

/** Row-major [n, d] matrices: L2 normalisation and the head-mean of per-head key tensors. */
public final class Rows {
    private Rows() {
    }

    /** Copy of {@code x} [n, d] with every row scaled to unit length (zero rows stay zero). */
    public static float[] normalized(float[] x, int n, int d) {
        float[] out = new float[n * d];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < d; j++) {
                s += (double) x[i * d + j] * x[i * d + j];
            }
            float inv = s > 0 ? (float) (1.0 / Math.sqrt(s)) : 0f;
            for (int j = 0; j < d; j++) {
                out[i * d + j] = x[i * d + j] * inv;
            }
        }
        return out;
    }

    /** keys [heads, n + skip, dh] -> mean over heads of rows skip.., as [n, dh]. */
    public static float[] meanOverHeads(FloatTensor keys, int skip) {
        int heads = keys.dim(0);
        int rows = keys.dim(1) - skip;
        int dh = keys.dim(2);
        float[] k = keys.data();
        float[] out = new float[rows * dh];
        for (int h = 0; h < heads; h++) {
            int base = (h * keys.dim(1) + skip) * dh;
            for (int i = 0; i < rows * dh; i++) {
                out[i] += k[base + i];
            }
        }
        for (int i = 0; i < out.length; i++) {
            out[i] /= heads;
        }
        return out;
    }

    /** [n, d] row-major -> d columns of length n, so one vector's dots with all rows vectorise. */
    public static float[][] columns(float[] x, int n, int d) {
        float[][] t = new float[d][n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < d; k++) {
                t[k][i] = x[i * d + k];
            }
        }
        return t;
    }

    /**
     * {@code out[j] = sum_k v[vo + k] * cols[k][j]}: the dot of one row with every row of a matrix
     * given by {@link #columns}. Written as axpys over whole arrays indexed alike, the loop shape
     * HotSpot vectorises (a dot-product reduction it does not).
     */
    public static void dotsWith(float[][] cols, float[] v, int vo, float[] out) {
        java.util.Arrays.fill(out, 0f);
        for (int k = 0; k < cols.length; k++) {
            axpy(out, v[vo + k], cols[k]);
        }
    }

    /** {@code y += a * x} over whole arrays of equal length. */
    public static void axpy(float[] y, float a, float[] x) {
        for (int j = 0; j < y.length; j++) {
            y[j] += a * x[j];
        }
    }

    /** {@code y += a0 x0 + a1 x1 + a2 x2 + a3 x3}: four rows per pass, so y is loaded and stored a quarter as often. */
    public static void axpy4(float[] y, float a0, float[] x0, float a1, float[] x1, float a2, float[] x2,
                             float a3, float[] x3) {
        int n = y.length;
        if (x0.length < n || x1.length < n || x2.length < n || x3.length < n) {
            throw new IllegalArgumentException("rows shorter than y");
        }
        for (int j = 0; j < n; j++) {
            y[j] += a0 * x0[j] + a1 * x1[j] + a2 * x2[j] + a3 * x3[j];
        }
    }

    /**
     * Sum of {@code x[0..n)} in float, eight independent accumulators: a float32 sum as the reference
     * implementations take it, within a few ulps of the exact one for the non-negative attention rows it
     * normalises, and twice as fast as summing in double (no conversions, adds that do not wait on each other).
     */
    public static float sum(float[] x, int n) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        float s4 = 0;
        float s5 = 0;
        float s6 = 0;
        float s7 = 0;
        int j = 0;
        for (; j + 7 < n; j += 8) {
            s0 += x[j];
            s1 += x[j + 1];
            s2 += x[j + 2];
            s3 += x[j + 3];
            s4 += x[j + 4];
            s5 += x[j + 5];
            s6 += x[j + 6];
            s7 += x[j + 7];
        }
        for (; j < n; j++) {
            s0 += x[j];
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    /** {@code x[0..n) *= a}. */
    public static void scale(float[] x, int n, float a) {
        for (int j = 0; j < n; j++) {
            x[j] *= a;
        }
    }

    public static float dot(float[] a, int ao, float[] b, int bo, int d) {
        float s = 0f;
        for (int j = 0; j < d; j++) {
            s += a[ao + j] * b[bo + j];
        }
        return s;
    }
}
