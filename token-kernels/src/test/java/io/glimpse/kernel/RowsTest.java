package io.glimpse.kernel;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RowsTest {
    @Test
    void theSumHasTheSameBitsOnTheVectorUnitsAndIsCloseToTheExactOne() {
        SplittableRandom r = new SplittableRandom(11);
        for (int n : new int[]{0, 1, 7, 31, 32, 33, 100, 577, 1000}) {
            float[] x = new float[n];
            double exact = 0;
            for (int i = 0; i < n; i++) {
                x[i] = (float) Math.exp(3 * r.nextDouble());
                exact += x[i];
            }
            float scalar = Rows.scalarSum(x, 0, n);
            assertEquals(exact, scalar, 1e-6 * Math.max(1, exact), "n " + n);
            assertEquals(Float.floatToRawIntBits(scalar), Float.floatToRawIntBits(Rows.sum(x, n)), "n " + n);
            if (VectorApi.AVAILABLE) {
                assertEquals(Float.floatToRawIntBits(scalar), Float.floatToRawIntBits(VectorRows.sum(x, 0, n)), "n " + n);
            }
        }
    }

    @Test
    void accumulatingRowsIsTheFmaChainOverTheRowsInOrder() {
        SplittableRandom r = new SplittableRandom(12);
        for (int m : new int[]{1, 7, 8, 9, 17, 321}) {
            int n = 1 + r.nextInt(200);
            float[][] rows = new float[m][n];
            float[] s = new float[m];
            for (int i = 0; i < m; i++) {
                s[i] = (float) r.nextDouble();
                for (int j = 0; j < n; j++) {
                    rows[i][j] = (float) r.nextDouble();
                }
            }
            float[] t = new float[n];
            t[0] = 0.5f;
            float[] want = t.clone();
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < m; i++) {
                    want[j] = Math.fma(s[i], rows[i][j], want[j]);
                }
            }
            Rows.accumulate(t, s, rows);
            for (int j = 0; j < n; j++) {
                assertEquals(Float.floatToRawIntBits(want[j]), Float.floatToRawIntBits(t[j]), "m " + m + ", n " + n + ", column " + j);
            }
            float[] y = new float[n];
            Rows.fmaAxpy(y, s[0], rows[m - 1], 0, n);
            for (int j = 0; j < n; j++) {
                assertEquals(Float.floatToRawIntBits(Math.fma(s[0], rows[m - 1][j], 0f)), Float.floatToRawIntBits(y[j]));
            }
        }
    }
}
