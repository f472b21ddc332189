package io.glimpse.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Rows}' sums and multiply-adds on the CPU's vector units, loaded only when
 * {@link VectorApi#AVAILABLE}. Each gives the bits of its scalar form whatever the vector width: the
 * sum always takes eight lanes, and a multiply-add keeps each column's fma chain in order.
 */
final class VectorRows {
    private static final VectorSpecies<Float> S8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private VectorRows() {
    }

    /** {@link Rows#sum} of {@code x[from..from+n)}: four eight-lane accumulators, so the adds do not wait on each other. */
    static float sum(float[] x, int from, int n) {
        FloatVector a0 = FloatVector.zero(S8);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int j = 0;
        for (; j + Rows.SUM_LANES - 1 < n; j += Rows.SUM_LANES) {
            a0 = a0.add(FloatVector.fromArray(S8, x, from + j));
            a1 = a1.add(FloatVector.fromArray(S8, x, from + j + 8));
            a2 = a2.add(FloatVector.fromArray(S8, x, from + j + 16));
            a3 = a3.add(FloatVector.fromArray(S8, x, from + j + 24));
        }
        FloatVector v = a0.add(a1).add(a2.add(a3));
        float s = ((v.lane(0) + v.lane(1)) + (v.lane(2) + v.lane(3))) + ((v.lane(4) + v.lane(5)) + (v.lane(6) + v.lane(7)));
        for (; j < n; j++) {
            s += x[from + j];
        }
        return s;
    }

    /** {@link Rows#fmaAxpy}. */
    static void fmaAxpy(float[] y, float a, float[] x, int xo, int n) {
        FloatVector va = FloatVector.broadcast(S, a);
        int j = 0;
        for (int upper = S.loopBound(n); j < upper; j += S.length()) {
            va.fma(FloatVector.fromArray(S, x, xo + j), FloatVector.fromArray(S, y, j)).intoArray(y, j);
        }
        for (; j < n; j++) {
            y[j] = Math.fma(a, x[xo + j], y[j]);
        }
    }

    /** {@link Rows#accumulate}: eight rows per pass over t, so t is loaded and stored an eighth as often. */
    static void accumulate(float[] t, float[] s, float[][] rows) {
        int n = t.length;
        int m = rows.length;
        int upper = S.loopBound(n);
        int i = 0;
        for (; i + 7 < m; i += 8) {
            FloatVector s0 = FloatVector.broadcast(S, s[i]);
            FloatVector s1 = FloatVector.broadcast(S, s[i + 1]);
            FloatVector s2 = FloatVector.broadcast(S, s[i + 2]);
            FloatVector s3 = FloatVector.broadcast(S, s[i + 3]);
            FloatVector s4 = FloatVector.broadcast(S, s[i + 4]);
            FloatVector s5 = FloatVector.broadcast(S, s[i + 5]);
            FloatVector s6 = FloatVector.broadcast(S, s[i + 6]);
            FloatVector s7 = FloatVector.broadcast(S, s[i + 7]);
            float[] r0 = rows[i];
            float[] r1 = rows[i + 1];
            float[] r2 = rows[i + 2];
            float[] r3 = rows[i + 3];
            float[] r4 = rows[i + 4];
            float[] r5 = rows[i + 5];
            float[] r6 = rows[i + 6];
            float[] r7 = rows[i + 7];
            int j = 0;
            for (; j < upper; j += S.length()) {
                FloatVector v = FloatVector.fromArray(S, t, j);
                v = s0.fma(FloatVector.fromArray(S, r0, j), v);
                v = s1.fma(FloatVector.fromArray(S, r1, j), v);
                v = s2.fma(FloatVector.fromArray(S, r2, j), v);
                v = s3.fma(FloatVector.fromArray(S, r3, j), v);
                v = s4.fma(FloatVector.fromArray(S, r4, j), v);
                v = s5.fma(FloatVector.fromArray(S, r5, j), v);
                v = s6.fma(FloatVector.fromArray(S, r6, j), v);
                v = s7.fma(FloatVector.fromArray(S, r7, j), v);
                v.intoArray(t, j);
            }
            for (; j < n; j++) {
                float v = t[j];
                for (int q = 0; q < 8; q++) {
                    v = Math.fma(s[i + q], rows[i + q][j], v);
                }
                t[j] = v;
            }
        }
        for (; i < m; i++) {
            fmaAxpy(t, s[i], rows[i], 0, n);
        }
    }
}
