package io.glimpse.kernel;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WeightedPageRankTest {
    /** The stationary distribution of s = A^T s solved directly: (A^T - I) s = 0 with sum(s) = 1. */
    static double[] stationary(float[] a, int n) {
        double[][] m = new double[n][n + 1];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                m[i][j] = a[j * n + i] - (i == j ? 1 : 0);
            }
        }
        for (int j = 0; j < n; j++) {
            m[n - 1][j] = 1;     // replace one (dependent) equation by the normalisation
        }
        m[n - 1][n] = 1;
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int r = c + 1; r < n; r++) {
                if (Math.abs(m[r][c]) > Math.abs(m[p][c])) {
                    p = r;
                }
            }
            double[] t = m[c];
            m[c] = m[p];
            m[p] = t;
            for (int r = 0; r < n; r++) {
                if (r != c) {
                    double f = m[r][c] / m[c][c];
                    for (int k = c; k <= n; k++) {
                        m[r][k] -= f * m[c][k];
                    }
                }
            }
        }
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            s[i] = m[i][n] / m[i][i];
        }
        return s;
    }

    @Test
    void convergesToTheStationaryDistributionOnSmallGraphs() {
        SplittableRandom r = new SplittableRandom(11);
        for (int trial = 0; trial < 20; trial++) {
            int n = 3 + r.nextInt(10);
            float[] a = RandomInputs.rowStochastic(r, n, 1.5);
            float[][] rows = new float[n][];
            for (int i = 0; i < n; i++) {
                rows[i] = java.util.Arrays.copyOfRange(a, i * n, (i + 1) * n);
            }
            WeightedPageRank.Result got = new WeightedPageRank(500, 1e-7).run(rows, WeightedPageRank.uniform(n));
            WeightedPageRank.Result flat = new WeightedPageRank(500, 1e-7).run(a, 0, n, WeightedPageRank.uniform(n));
            // the in-place form divides by each row's float sum as it reads it: at a 1e-7 tolerance the L1 change
            // is at float rounding level, so the stop may shift by a few iterations (the scores agree below)
            assertEquals(got.iterations(), flat.iterations(), 3, "row and in-place forms agree");
            for (int i = 0; i < n; i++) {
                assertEquals(got.scores()[i], flat.scores()[i], 1e-5);
            }
            double[] want = stationary(a, n);
            for (int i = 0; i < n; i++) {
                assertEquals(want[i], got.scores()[i], 1e-5, "trial " + trial + " node " + i);
            }
            assertTrue(got.iterations() < 500, "stops on the tolerance");
        }
    }

    @Test
    void oneIterationIsTheColumnMassOfTheUniformStart() {
        SplittableRandom r = new SplittableRandom(3);
        int n = 7;
        float[] a = RandomInputs.rowStochastic(r, n, 1.0);
        float[] s = new WeightedPageRank(1, 0).run(a, 0, n, WeightedPageRank.uniform(n)).scores();
        for (int j = 0; j < n; j++) {
            double col = 0;
            for (int i = 0; i < n; i++) {
                col += a[i * n + j];
            }
            assertEquals(col / n, s[j], 1e-6);
        }
    }

    /** The in-place form reads each row as a distribution: rows scaled by any positive factor rank the same. */
    @Test
    void theInPlaceFormNormalisesRowsAsItReadsThem() {
        SplittableRandom r = new SplittableRandom(5);
        int n = 9;
        float[] a = RandomInputs.rowStochastic(r, n, 1.0);
        float[] cut = a.clone();
        for (int i = 0; i < n; i++) {
            float f = 0.3f + 0.1f * i;
            for (int j = 0; j < n; j++) {
                cut[i * n + j] *= f;
            }
        }
        float[] want = new WeightedPageRank(1, 0).run(a, 0, n, WeightedPageRank.uniform(n)).scores();
        float[] got = new WeightedPageRank(1, 0).run(cut, 0, n, WeightedPageRank.uniform(n)).scores();
        for (int j = 0; j < n; j++) {
            assertEquals(want[j], got[j], 1e-6);
        }
    }

    @Test
    void clsStartIsSqrtNTimesTheOthersAndSumsToOne() {
        float[] s = WeightedPageRank.clsWeighted(16);
        assertEquals(4f * s[1], s[0], 1e-6);
        double sum = 0;
        for (float v : s) {
            sum += v;
        }
        assertEquals(1.0, sum, 1e-6);
    }

    @Test
    void headAggregationFiltersByRescaledVarianceAndTakesTheRootMeanSquare() {
        float[] flat = {0.25f, 0.25f, 0.25f, 0.25f};            // variance 0: filtered out
        float[] peaked = {0.1f, 0.2f, 0.3f, 0.4f};               // rescaled (0.4..1.6): variance 0.2
        float[] spiky = {0.0f, 0.0f, 0.0f, 1.0f};                // rescaled (0,0,0,4): variance 3, filtered out
        float[] agg = new HeadAggregation(0.01, 0.7).aggregate(new float[][]{flat, peaked, spiky}, 0);
        for (int i = 0; i < 4; i++) {
            assertEquals(peaked[i], agg[i], 1e-6, "only the peaked head qualifies");
        }
        float[] all = new HeadAggregation(5, 6).aggregate(new float[][]{flat, peaked}, 0);
        for (int i = 0; i < 4; i++) {
            assertEquals(Math.sqrt((flat[i] * flat[i] + peaked[i] * peaked[i]) / 2), all[i], 1e-6, "none qualifies: all heads");
        }
    }
}
