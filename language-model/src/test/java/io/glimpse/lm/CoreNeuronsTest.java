package io.glimpse.lm;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class CoreNeuronsTest {
    @Test
    void matchesTheRhoBetaRuleComputedNaively() {
        SplittableRandom r = new SplittableRandom(4);
        for (int trial = 0; trial < 28; trial++) {
            int tokens = 3 + r.nextInt(20);
            // the last trials are FFN-sized: the threshold bucket holds many values, ranked by a second histogram
            int f = trial < 20 ? 5 + r.nextInt(40) : 1000 + r.nextInt(3500);
            float[] act = gaussian(r, tokens * f);
            if (trial % 2 == 1) {
                // ties, zeros of both signs and positive subnormals: the histogram's edge cases
                float grid = trial < 20 ? 4 : 4096;   // ties inside the second histogram's sub-buckets too
                for (int i = 0; i < act.length; i++) {
                    act[i] = Math.round(act[i] * grid) / grid;
                    int kind = r.nextInt(10);
                    if (kind == 0) {
                        act[i] = -0.0f;
                    } else if (kind == 1) {
                        act[i] = Float.MIN_VALUE * (1 + r.nextInt(3));
                    }
                }
            }
            double rho = 0.1 + 0.5 * r.nextDouble();
            double beta = 0.1 + 0.5 * r.nextDouble();
            boolean[] core = CoreNeurons.select(act, tokens, f, rho, beta);

            int[] freq = new int[f];
            for (int t = 0; t < tokens; t++) {
                List<Integer> pos = new ArrayList<>();
                for (int n = 0; n < f; n++) {
                    if (act[t * f + n] > 0) {
                        pos.add(n);
                    }
                }
                final int tt = t;
                pos.sort(Comparator.comparingDouble((Integer n) -> -act[tt * f + n]).thenComparingInt(n -> n));
                for (int i = 0; i < Math.ceil(rho * pos.size()); i++) {
                    freq[pos.get(i)]++;
                }
            }
            List<Integer> seen = new ArrayList<>();
            for (int n = 0; n < f; n++) {
                if (freq[n] > 0) {
                    seen.add(n);
                }
            }
            seen.sort(Comparator.comparingInt((Integer n) -> -freq[n]).thenComparingInt(n -> n));
            boolean[] want = new boolean[f];
            for (int i = 0; i < Math.ceil(beta * seen.size()); i++) {
                want[seen.get(i)] = true;
            }
            assertArrayEquals(want, core, "trial " + trial);

            int[] rows = {0, tokens - 1};
            float[] scores = CoreNeurons.tokenScores(act, rows, f, core);
            for (int i = 0; i < rows.length; i++) {
                int c = 0;
                for (int n = 0; n < f; n++) {
                    c += want[n] && act[rows[i] * f + n] > 0 ? 1 : 0;
                }
                assertEquals(c, scores[i]);
            }
        }
    }

    static float[] gaussian(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }
}
