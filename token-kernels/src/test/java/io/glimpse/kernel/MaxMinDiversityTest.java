package io.glimpse.kernel;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MaxMinDiversityTest {
    static double dist(float[] x, int i, int j, int d) {
        return 1 - RandomInputs.cosine(x, i, j, d);
    }

    static double minPairwise(float[] x, int[] set, int d) {
        double m = Double.POSITIVE_INFINITY;
        for (int a = 0; a < set.length; a++) {
            for (int b = a + 1; b < set.length; b++) {
                m = Math.min(m, dist(x, set[a], set[b], d));
            }
        }
        return m;
    }

    static double bestSubset(float[] x, int n, int k, int d, int from, int[] chosen, int depth) {
        if (depth == k) {
            return minPairwise(x, chosen, d);
        }
        double best = Double.NEGATIVE_INFINITY;
        for (int i = from; i <= n - (k - depth); i++) {
            chosen[depth] = i;
            best = Math.max(best, bestSubset(x, n, k, d, i + 1, chosen, depth + 1));
        }
        return best;
    }

    @Test
    void everyPickIsTheFarthestFromThePicksBeforeIt() {
        SplittableRandom r = new SplittableRandom(21);
        for (int trial = 0; trial < 10; trial++) {
            int n = 20 + r.nextInt(30);
            int d = 3 + r.nextInt(8);
            int k = 2 + r.nextInt(10);
            float[] x = RandomInputs.gaussian(r, n * d);
            int[] picked = MaxMinDiversity.select(x, n, d, k, MaxMinDiversity.First.ISOLATED).picked();
            // first: the most isolated token
            double firstIso = Double.POSITIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                if (j != picked[0]) {
                    firstIso = Math.min(firstIso, dist(x, picked[0], j, d));
                }
            }
            for (int i = 0; i < n; i++) {
                double iso = Double.POSITIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    if (j != i) {
                        iso = Math.min(iso, dist(x, i, j, d));
                    }
                }
                assertTrue(iso <= firstIso + 1e-5, "token " + i + " is more isolated than the first pick");
            }
            for (int p = 1; p < k; p++) {
                double chosen = Double.POSITIVE_INFINITY;
                for (int q = 0; q < p; q++) {
                    chosen = Math.min(chosen, dist(x, picked[p], picked[q], d));
                }
                for (int c = 0; c < n; c++) {
                    double alt = Double.POSITIVE_INFINITY;
                    boolean taken = false;
                    for (int q = 0; q < p; q++) {
                        alt = Math.min(alt, dist(x, c, picked[q], d));
                        taken |= picked[q] == c;
                    }
                    if (!taken) {
                        assertTrue(alt <= chosen + 1e-5, "pick " + p + " is not the farthest");
                    }
                }
            }
        }
    }

    @Test
    void theMeanRuleStartsFarthestFromTheMeanDirection() {
        SplittableRandom r = new SplittableRandom(9);
        int n = 40;
        int d = 6;
        float[] x = RandomInputs.gaussian(r, n * d);
        int first = MaxMinDiversity.select(x, n, d, 5, MaxMinDiversity.First.MEAN).picked()[0];
        float[] u = Rows.normalized(x, n, d);
        float[] mean = new float[d];
        for (int i = 0; i < n * d; i++) {
            mean[i % d] += u[i];
        }
        double best = Double.NEGATIVE_INFINITY;
        int want = -1;
        for (int i = 0; i < n; i++) {
            double dot = 0;
            double norm = 0;
            for (int c = 0; c < d; c++) {
                dot += u[i * d + c] * mean[c];
                norm += mean[c] * mean[c];
            }
            double dist = 1 - dot / Math.sqrt(norm);
            if (dist > best) {
                best = dist;
                want = i;
            }
        }
        assertEquals(want, first);
    }

    @Test
    void noSingleSwapOfTheLastPickRaisesTheBottleneckAndNoSubsetBeatsTheOptimum() {
        SplittableRandom r = new SplittableRandom(8);
        for (int trial = 0; trial < 10; trial++) {
            int n = 6 + r.nextInt(5);
            int d = 2 + r.nextInt(3);
            int k = 2 + r.nextInt(3);
            float[] x = RandomInputs.gaussian(r, n * d);
            int[] picked = MaxMinDiversity.select(x, n, d, k, MaxMinDiversity.First.ISOLATED).picked();
            assertEquals(k, java.util.Arrays.stream(picked).distinct().count());
            double greedy = minPairwise(x, picked, d);
            for (int c = 0; c < n; c++) {
                final int cc = c;
                if (java.util.Arrays.stream(picked).anyMatch(p -> p == cc)) {
                    continue;
                }
                int[] swapped = picked.clone();
                swapped[k - 1] = c;
                assertTrue(minPairwise(x, swapped, d) <= greedy + 1e-6, "swapping in " + c + " is better");
            }
            double optimum = bestSubset(x, n, k, d, 0, new int[k], 0);
            assertTrue(greedy <= optimum + 1e-6);
        }
    }
}
