package io.glimpse.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link GramTile} on the CPU's vector units: six rows, each broadcast one dimension at a time,
 * against two vectors of columns — twelve accumulators that stay in registers for the whole
 * dimension loop, so each multiply-add costs a fraction of a load instead of a load and a store
 * (the axpy form's limit). Lane q of an accumulator is exactly the scalar fma chain of column q.
 */
final class VectorGramTile implements GramTile {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private final int block;
    private final int d;
    /** The block's tokens transposed: {@code cols[k * block + t]} = dimension k of token t. */
    private final float[] cols;

    VectorGramTile(int block, int d) {
        this.block = block;
        this.d = d;
        this.cols = new float[d * block];
    }

    static int lanes() {
        return S.length();
    }

    static int tileWidth() {
        return 2 * S.length();
    }

    @Override
    public int width() {
        return tileWidth();
    }

    @Override
    public void load(float[] x, int from, int end) {
        java.util.Arrays.fill(cols, 0f);
        for (int j = from; j < end; j++) {
            for (int k = 0; k < d; k++) {
                cols[k * block + j - from] = x[j * d + k];
            }
        }
    }

    @Override
    public void dots(float[] x, int i0, int rows, int t, float[] out) {
        if (rows == ROWS) {
            six(x, d, i0, cols, block, t, out);
        } else {
            for (int r = 0; r < rows; r++) {
                one(x, d, i0 + r, cols, block, t, out, r * width());
            }
        }
    }

    private static void six(float[] x, int d, int i0, float[] c, int block, int t, float[] out) {
        int l = S.length();
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector c0 = a0;
        FloatVector c1 = a0;
        FloatVector e0 = a0;
        FloatVector e1 = a0;
        FloatVector f0 = a0;
        FloatVector f1 = a0;
        FloatVector g0 = a0;
        FloatVector g1 = a0;
        int r0 = i0 * d;
        int r1 = r0 + d;
        int r2 = r1 + d;
        int r3 = r2 + d;
        int r4 = r3 + d;
        int r5 = r4 + d;
        for (int k = 0; k < d; k++) {
            FloatVector v0 = FloatVector.fromArray(S, c, k * block + t);
            FloatVector v1 = FloatVector.fromArray(S, c, k * block + t + l);
            FloatVector s = FloatVector.broadcast(S, x[r0 + k]);
            a0 = s.fma(v0, a0);
            a1 = s.fma(v1, a1);
            s = FloatVector.broadcast(S, x[r1 + k]);
            b0 = s.fma(v0, b0);
            b1 = s.fma(v1, b1);
            s = FloatVector.broadcast(S, x[r2 + k]);
            c0 = s.fma(v0, c0);
            c1 = s.fma(v1, c1);
            s = FloatVector.broadcast(S, x[r3 + k]);
            e0 = s.fma(v0, e0);
            e1 = s.fma(v1, e1);
            s = FloatVector.broadcast(S, x[r4 + k]);
            f0 = s.fma(v0, f0);
            f1 = s.fma(v1, f1);
            s = FloatVector.broadcast(S, x[r5 + k]);
            g0 = s.fma(v0, g0);
            g1 = s.fma(v1, g1);
        }
        int w = 2 * l;
        a0.intoArray(out, 0);
        a1.intoArray(out, l);
        b0.intoArray(out, w);
        b1.intoArray(out, w + l);
        c0.intoArray(out, 2 * w);
        c1.intoArray(out, 2 * w + l);
        e0.intoArray(out, 3 * w);
        e1.intoArray(out, 3 * w + l);
        f0.intoArray(out, 4 * w);
        f1.intoArray(out, 4 * w + l);
        g0.intoArray(out, 5 * w);
        g1.intoArray(out, 5 * w + l);
    }

    private static void one(float[] x, int d, int i, float[] c, int block, int t, float[] out, int at) {
        int l = S.length();
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = a0;
        for (int k = 0; k < d; k++) {
            FloatVector s = FloatVector.broadcast(S, x[i * d + k]);
            a0 = s.fma(FloatVector.fromArray(S, c, k * block + t), a0);
            a1 = s.fma(FloatVector.fromArray(S, c, k * block + t + l), a1);
        }
        a0.intoArray(out, at);
        a1.intoArray(out, at + l);
    }
}
