package io.glimpse.pruner.kernel;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SymmetricGramTest {
    @Test
    void everyDotHasTheBitsOfTheRowAtATimeDotsAndEachRowItsLargestOther() {
        SplittableRandom r = new SplittableRandom(5);
        // sizes around the block edge, and a single row (no other: -inf)
        for (int n : new int[]{1, 2, SymmetricGram.BLOCK - 1, SymmetricGram.BLOCK, SymmetricGram.BLOCK + 1, 300}) {
            int d = 3 + r.nextInt(70);
            float[] x = RandomInputs.gaussian(r, n * d);
            float[][] cols = Rows.columns(x, n, d);
            float[][] gram = new float[n][n];
            float[] max = SymmetricGram.rowMaxima(x, n, d, gram);
            float[] dots = new float[n];
            for (int i = 0; i < n; i++) {
                Rows.dotsWith(cols, x, i * d, dots);
                float want = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    assertEquals(Float.floatToRawIntBits(dots[j]), Float.floatToRawIntBits(gram[i][j]),
                            "n " + n + ": dot " + i + "," + j);
                    if (j != i) {
                        want = Math.max(want, dots[j]);
                    }
                }
                assertEquals(want, max[i], "n " + n + ": row " + i);
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(max, SymmetricGram.rowMaxima(x, n, d, null), "the maxima do not depend on keeping the dots");
        }
    }
}
