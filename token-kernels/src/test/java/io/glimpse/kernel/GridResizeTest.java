package io.glimpse.kernel;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class GridResizeTest {
    @Test
    void adaptiveAverageEqualsTheWindowMeans() {
        SplittableRandom r = new SplittableRandom(2);
        int rows = 7;
        int cols = 5;
        int d = 3;
        float[] x = RandomInputs.gaussian(r, rows * cols * d);
        GridResize.Result got = GridResize.adaptiveAverage(x, rows, cols, d, 3, 2);
        for (int i = 0; i < 3; i++) {
            int r0 = (int) Math.floor(i * rows / 3.0);
            int r1 = (int) Math.ceil((i + 1) * rows / 3.0);
            for (int j = 0; j < 2; j++) {
                int c0 = (int) Math.floor(j * cols / 2.0);
                int c1 = (int) Math.ceil((j + 1) * cols / 2.0);
                for (int k = 0; k < d; k++) {
                    double s = 0;
                    for (int a = r0; a < r1; a++) {
                        for (int b = c0; b < c1; b++) {
                            s += x[(a * cols + b) * d + k];
                        }
                    }
                    assertEquals(s / ((r1 - r0) * (c1 - c0)), got.x()[(i * 2 + j) * d + k], 1e-5);
                }
            }
        }
    }

    @Test
    void bilinearReproducesALinearRampAndIsTheIdentityAtTheSameSize() {
        int rows = 6;
        int cols = 6;
        float[] ramp = new float[rows * cols];
        for (int a = 0; a < rows; a++) {
            for (int b = 0; b < cols; b++) {
                ramp[a * cols + b] = 2 * a + b;
            }
        }
        GridResize.Result down = GridResize.bilinear(ramp, rows, cols, 1, 3, 3);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                double sy = (i + 0.5) * 2 - 0.5;
                double sx = (j + 0.5) * 2 - 0.5;
                assertEquals(2 * sy + sx, down.x()[i * 3 + j], 1e-5);
            }
        }
        assertArrayEquals(new int[]{7, 9, 11, 19, 21, 23, 31, 33, 35}, down.nearest());
        assertArrayEquals(ramp, GridResize.bilinear(ramp, rows, cols, 1, rows, cols).x());
    }
}
