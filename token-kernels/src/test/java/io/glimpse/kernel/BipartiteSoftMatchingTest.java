package io.glimpse.kernel;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class BipartiteSoftMatchingTest {
    /** One ToMe round written with plain loops and lists, from the paper's description. */
    static List<double[]> naiveRound(List<double[]> tokens, int d, int r) {
        return naiveRound(tokens, d, r, false);
    }

    /** classToken: as ToMe's ViT patch with a class token — scores[0, :] = -inf, and the unmerged A sorted by index. */
    static List<double[]> naiveRound(List<double[]> tokens, int d, int r, boolean classToken) {
        // token layout: [row, size, x..., metric...]
        int m = tokens.size();
        int na = (m + 1) / 2;
        int nb = m / 2;
        double[] bestSim = new double[na];
        int[] bestB = new int[na];
        for (int a = 0; a < na; a++) {
            bestSim[a] = Double.NEGATIVE_INFINITY;
            for (int b = 0; b < nb; b++) {
                double c = cos(tokens.get(2 * a), tokens.get(2 * b + 1), d);
                if (c > bestSim[a]) {
                    bestSim[a] = c;
                    bestB[a] = b;
                }
            }
        }
        if (classToken) {
            bestSim[0] = Double.NEGATIVE_INFINITY;
        }
        boolean[] gone = new boolean[na];
        for (int e = 0; e < r; e++) {
            int pick = -1;
            for (int a = 0; a < na; a++) {
                if (!gone[a] && (pick < 0 || bestSim[a] > bestSim[pick])) {
                    pick = a;
                }
            }
            gone[pick] = true;
            double[] src = tokens.get(2 * pick);
            double[] dst = tokens.get(2 * bestB[pick] + 1);
            double total = src[1] + dst[1];
            for (int k = 2; k < dst.length; k++) {
                dst[k] = (dst[k] * dst[1] + src[k] * src[1]) / total;
            }
            dst[1] = total;
        }
        // the official loop's order (tome/merge.py: torch.cat([unm, dst])): A's unmerged tokens by
        // descending score, ties to the lower index, then every B token in its order
        List<Integer> unmerged = new ArrayList<>();
        for (int a = 0; a < na; a++) {
            if (!gone[a]) {
                unmerged.add(a);
            }
        }
        if (!classToken) {
            unmerged.sort((p, q) -> bestSim[p] != bestSim[q] ? Double.compare(bestSim[q], bestSim[p]) : Integer.compare(p, q));
        }
        List<double[]> next = new ArrayList<>();
        for (int a : unmerged) {
            next.add(tokens.get(2 * a));
        }
        for (int b = 0; b < nb; b++) {
            next.add(tokens.get(2 * b + 1));
        }
        return next;
    }

    /** The naive round's token layout [row, size, x..., metric...]; sizes null = one each. */
    static List<double[]> naiveTokens(float[] x, float[] metric, float[] sizes, int n, int d, int dm) {
        List<double[]> tokens = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double[] t = new double[2 + d + dm];
            t[0] = i;
            t[1] = sizes == null ? 1 : sizes[i];
            for (int k = 0; k < d; k++) {
                t[2 + k] = x[i * d + k];
            }
            for (int k = 0; k < dm; k++) {
                t[2 + d + k] = metric[i * dm + k];
            }
            tokens.add(t);
        }
        return tokens;
    }

    static double cos(double[] p, double[] q, int d) {
        int off = 2 + d;
        double dot = 0;
        double np = 0;
        double nq = 0;
        for (int k = off; k < p.length; k++) {
            dot += p[k] * q[k];
            np += p[k] * p[k];
            nq += q[k] * q[k];
        }
        return dot / Math.sqrt(np * nq);
    }

    @Test
    void matchesANaiveImplementationOnRandomInputs() {
        SplittableRandom r = new SplittableRandom(5);
        for (int trial = 0; trial < 16; trial++) {
            int n = trial == 0 ? 143 : 8 + r.nextInt(40);   // 143: odd counts round after round
            int d = 1 + r.nextInt(6);
            int dm = 2 + r.nextInt(5);
            int keep = 1 + r.nextInt(n - 1);
            float[] x = RandomInputs.gaussian(r, n * d);
            float[] metric = RandomInputs.gaussian(r, n * dm);
            BipartiteSoftMatching.Result got = BipartiteSoftMatching.merge(x, n, d, metric, dm, keep);

            List<double[]> tokens = naiveTokens(x, metric, null, n, d, dm);
            while (tokens.size() > keep) {
                int m = tokens.size();
                tokens = naiveRound(tokens, d, Math.min(m - keep, m / 2));
            }
            tokens.sort((p, q) -> Double.compare(p[0], q[0]));   // the kernel reports its tokens by row
            assertEquals(keep, got.rows().length);
            assertArrayEquals(tokens.stream().mapToInt(t -> (int) t[0]).toArray(), got.rows(), "trial " + trial);
            double mass = 0;
            for (int t = 0; t < keep; t++) {
                assertEquals(tokens.get(t)[1], got.sizes()[t], 1e-9);
                mass += got.sizes()[t];
                for (int k = 0; k < d; k++) {
                    assertEquals(tokens.get(t)[2 + k], got.x()[t * d + k], 1e-4);
                }
            }
            assertEquals(n, mass, 1e-9, "every input token is in exactly one group");
            int[] groupSizes = new int[keep];
            for (int g : got.group()) {
                groupSizes[g]++;
            }
            for (int t = 0; t < keep; t++) {
                assertEquals(got.sizes()[t], groupSizes[t], 1e-9);
            }
        }
    }

    /** With a class token and sizes from earlier merges: token 0 never merges and the rounds match the naive ones. */
    @Test
    void aClassTokenNeverMergesAndSizesWeighTheMerges() {
        SplittableRandom r = new SplittableRandom(9);
        for (int trial = 0; trial < 12; trial++) {
            int n = trial == 0 ? 145 : 6 + r.nextInt(40);
            int d = 1 + r.nextInt(5);
            int dm = 2 + r.nextInt(4);
            int keep = 2 + r.nextInt(n - 2);
            float[] x = RandomInputs.gaussian(r, n * d);
            float[] metric = RandomInputs.gaussian(r, n * dm);
            float[] sizes = new float[n];
            for (int i = 0; i < n; i++) {
                sizes[i] = i == 0 ? 1 : 1 + r.nextInt(4);
            }
            BipartiteSoftMatching.Result got = BipartiteSoftMatching.merge(x, n, d, metric, dm, keep, sizes, true);
            List<double[]> tokens = naiveTokens(x, metric, sizes, n, d, dm);
            while (tokens.size() > keep) {
                int m = tokens.size();
                tokens = naiveRound(tokens, d, Math.min(m - keep, Math.min(m / 2, (m + 1) / 2 - 1)), true);
            }
            tokens.sort((p, q) -> Double.compare(p[0], q[0]));
            assertEquals(0, got.rows()[0], "CLS is kept, first");
            assertEquals(1.0, got.sizes()[0], 1e-9, "and stands for itself alone");
            assertArrayEquals(tokens.stream().mapToInt(t -> (int) t[0]).toArray(), got.rows(), "trial " + trial);
            for (int t = 0; t < got.rows().length; t++) {
                assertEquals(tokens.get(t)[1], got.sizes()[t], 1e-9);
                for (int k = 0; k < d; k++) {
                    assertEquals(tokens.get(t)[2 + k], got.x()[t * d + k], 1e-4);
                }
            }
        }
    }

    @Test
    void mergingTwoIdenticalPairsAveragesThemBySize() {
        float[] x = {1, 1, 3, 3};
        float[] metric = {1, 0, 1, 0};
        BipartiteSoftMatching.Result r = BipartiteSoftMatching.merge(x, 4, 1, metric, 1, 3);
        assertArrayEquals(new int[]{1, 2, 3}, r.rows(), "token 0 merged into 1");
        assertEquals(1.0, r.x()[0], 1e-6);
        assertArrayEquals(new float[]{2, 1, 1}, r.sizes());
        assertEquals(Arrays.toString(new int[]{0, 0, 1, 2}), Arrays.toString(r.group()));
    }
}
