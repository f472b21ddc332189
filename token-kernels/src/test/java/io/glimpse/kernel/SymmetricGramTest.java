package io.glimpse.kernel;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SymmetricGramTest {
    @Test
    void theTestsRunOnTheVectorApi() {
        // surefire starts the JVM as ./glimpse does; without the module the kernels below only test the scalar tile
        assertTrue(VectorApi.AVAILABLE, VectorApi.describe());
    }

    @Test
    void everyDotIsTheFmaChainOverTheDimensionsAndEachRowGetsItsLargestOther() {
        SplittableRandom r = new SplittableRandom(5);
        // sizes around the block and row-group edges, and a single row (no other: -inf)
        for (int n : new int[]{1, 2, 5, 7, SymmetricGram.BLOCK - 1, SymmetricGram.BLOCK, SymmetricGram.BLOCK + 1, 301}) {
            int d = 3 + r.nextInt(70);
            float[] x = RandomInputs.gaussian(r, n * d);
            List<GramTile> tiles = new ArrayList<>(List.of(new GramTile.ScalarGramTile(SymmetricGram.BLOCK, d)));
            if (VectorApi.AVAILABLE) {
                tiles.add(new VectorGramTile(SymmetricGram.BLOCK, d));
            }
            for (GramTile tile : tiles) {
                String what = tile.getClass().getSimpleName() + ", n " + n;
                float[][] gram = new float[n][n];
                float[] max = SymmetricGram.rowMaxima(x, n, d, gram, tile);
                for (int i = 0; i < n; i++) {
                    float want = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) {
                        float dot = 0f;
                        for (int k = 0; k < d; k++) {
                            dot = Math.fma(x[i * d + k], x[j * d + k], dot);
                        }
                        assertEquals(Float.floatToRawIntBits(dot), Float.floatToRawIntBits(gram[i][j]), what + ": dot " + i + "," + j);
                        if (j != i) {
                            want = Math.max(want, dot);
                        }
                    }
                    assertEquals(want, max[i], what + ": row " + i);
                }
                assertArrayEquals(max, SymmetricGram.rowMaxima(x, n, d, null, tile), what + ": the maxima do not depend on keeping the dots");
            }
        }
    }
}
