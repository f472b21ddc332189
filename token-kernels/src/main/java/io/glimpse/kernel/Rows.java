package io.glimpse.kernel;

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

    /** Partial sums {@link #sum} keeps: x[j] goes to partial j mod 32. */
    static final int SUM_LANES = 32;

    /**
     * Sum of {@code x[0..n)} in float, as the reference implementations take it (within a few ulps
     * of the exact sum for the non-negative attention rows it normalises): 32 partial sums, combined
     * lane-wise in four groups of eight, then the eight in a tree, then the elements past the last
     * whole group. That order is the one an eight-lane vector unit takes ({@link VectorRows#sum});
     * without the Vector API this loop gives the same bits.
     */
    public static float sum(float[] x, int n) {
        return sum(x, 0, n);
    }

    /** {@link #sum(float[], int)} of {@code x[from..from+n)}. */
    public static float sum(float[] x, int from, int n) {
        return VectorApi.AVAILABLE ? VectorRows.sum(x, from, n) : scalarSum(x, from, n);
    }

    static float scalarSum(float[] x, int from, int n) {
        float[] acc = new float[SUM_LANES];
        int j = 0;
        for (; j + SUM_LANES - 1 < n; j += SUM_LANES) {
            for (int q = 0; q < SUM_LANES; q++) {
                acc[q] += x[from + j + q];
            }
        }
        float[] v = new float[8];
        for (int l = 0; l < 8; l++) {
            v[l] = (acc[l] + acc[8 + l]) + (acc[16 + l] + acc[24 + l]);
        }
        float s = ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
        for (; j < n; j++) {
            s += x[from + j];
        }
        return s;
    }

    /** {@code y[j] = fma(a, x[xo + j], y[j])} for j < n: one rounding per step, the same bits on the vector units. */
    public static void fmaAxpy(float[] y, float a, float[] x, int xo, int n) {
        if (VectorApi.AVAILABLE) {
            VectorRows.fmaAxpy(y, a, x, xo, n);
        } else if (xo == 0 && n == y.length && n == x.length) {
            // whole arrays indexed alike: the one form HotSpot vectorises without the Vector API
            for (int j = 0; j < y.length; j++) {
                y[j] = Math.fma(a, x[j], y[j]);
            }
        } else {
            for (int j = 0; j < n; j++) {
                y[j] = Math.fma(a, x[xo + j], y[j]);
            }
        }
    }

    /**
     * {@code t += s^T rows}: for each column the fma chain over the rows in order, so the result has
     * the same bits however many rows a pass takes.
     */
    public static void accumulate(float[] t, float[] s, float[][] rows) {
        if (VectorApi.AVAILABLE) {
            VectorRows.accumulate(t, s, rows);
            return;
        }
        for (int i = 0; i < rows.length; i++) {
            fmaAxpy(t, s[i], rows[i], 0, t.length);
        }
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
